package dev.rollguard.alert.mapping;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.alert.publisher.WebhookSender;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.AlertStatus;
import dev.rollguard.schemas.event.ScopeType;
import dev.rollguard.schemas.event.Severity;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Alertmanager-shaped webhook body of a group of alerts, and its signature. */
class WebhookPayloadTest {

    private static AlertEvent alert(String fingerprint, String table, AlertStatus status, Instant endsAt) {
        Instant t = Instant.parse("2026-01-01T00:05:00Z");
        return AlertEvent.newBuilder()
                .setAlertId("id-" + fingerprint)
                .setFingerprint(fingerprint)
                .setStatus(status)
                .setSeverity(Severity.CRITICAL)
                .setRuleId("error-rate")
                .setRuleName("Error rate high")
                .setMetric("errorRate")
                .setComparator("GT")
                .setThreshold(0.05)
                .setScopeType(ScopeType.TABLE)
                .setScopeKey("table:" + table)
                .setTable(table)
                .setFirstBreachAt(t.minusSeconds(300))
                .setStartsAt(t)
                .setEndsAt(endsAt)
                .setEmittedAt(t)
                .setLabels(Map.of(
                        "alertname",
                        "Error rate high",
                        "severity",
                        "critical",
                        "rule_id",
                        "error-rate",
                        "table",
                        table))
                .setAnnotations(Map.of("summary", "errors on " + table, "runbook_url", "https://runbooks.example/e"))
                .build();
    }

    private static final ConsoleLinks CONSOLE = new ConsoleLinks("https://console.example/");

    private static final String FIRING_FP = "0123456789abcdef0123456789abcdef";
    private static final String RESOLVED_FP = "fedcba9876543210fedcba9876543210";

    @Test
    void anAlertLooksLikeAlertmanagers() {
        WebhookPayload.Alert firing =
                WebhookPayload.alert(alert(FIRING_FP, "orders", AlertStatus.FIRING, null), CONSOLE);

        assertThat(firing.status()).isEqualTo("firing");
        assertThat(firing.startsAt()).isEqualTo("2026-01-01T00:05:00Z");
        assertThat(firing.endsAt()).isEqualTo(WebhookPayload.ZERO_TIME);
        assertThat(firing.labels()).containsEntry("severity", "critical");
        // A console page, never a token-protected API: the alerts page for an alert that names no flag, else its
        // flag's.
        assertThat(firing.generatorURL()).isEqualTo("https://console.example/alerts");
        AlertEvent onFlag = alert(FIRING_FP, "orders", AlertStatus.FIRING, null);
        onFlag.setLabels(Map.of("alertname", "Treatment worse than control", "flag", "checkout v2"));
        assertThat(WebhookPayload.alert(onFlag, CONSOLE).generatorURL())
                .isEqualTo("https://console.example/flags/checkout%20v2");

        WebhookPayload.Alert resolved = WebhookPayload.alert(
                alert(RESOLVED_FP, "users", AlertStatus.RESOLVED, Instant.parse("2026-01-01T00:20:00Z")), CONSOLE);
        assertThat(resolved.status()).isEqualTo("resolved");
        assertThat(resolved.endsAt()).isEqualTo("2026-01-01T00:20:00Z");
    }

    @Test
    void aGroupFiresWhileAnyAlertFiresAndSharesWhatAllItsAlertsHaveInCommon() {
        WebhookPayload.Alert firing =
                WebhookPayload.alert(alert(FIRING_FP, "orders", AlertStatus.FIRING, null), CONSOLE);
        WebhookPayload.Alert resolved = WebhookPayload.alert(
                alert(RESOLVED_FP, "users", AlertStatus.RESOLVED, Instant.parse("2026-01-01T00:20:00Z")), CONSOLE);
        Map<String, String> groupLabels = Map.of("rule_id", "error-rate", "severity", "critical");
        String key = "{}:{rule_id=\"error-rate\", severity=\"critical\"}";

        WebhookPayload payload = WebhookPayload.group(key, groupLabels, List.of(resolved, firing), "pager", CONSOLE, 0);

        assertThat(payload.version()).isEqualTo("4");
        assertThat(payload.groupKey()).isEqualTo(key);
        assertThat(payload.status()).isEqualTo("firing");
        assertThat(payload.receiver()).isEqualTo("pager");
        assertThat(payload.externalURL()).isEqualTo("https://console.example");
        assertThat(payload.groupLabels()).isEqualTo(groupLabels);
        assertThat(payload.commonLabels())
                .isEqualTo(Map.of("alertname", "Error rate high", "severity", "critical", "rule_id", "error-rate"));
        assertThat(payload.commonAnnotations()).isEqualTo(Map.of("runbook_url", "https://runbooks.example/e"));
        assertThat(payload.alerts()).hasSize(2);
        assertThat(payload.truncatedAlerts()).isZero();

        WebhookPayload allResolved = WebhookPayload.group(key, groupLabels, List.of(resolved), "pager", CONSOLE, 0);
        assertThat(allResolved.status()).isEqualTo("resolved");
        assertThat(allResolved.commonLabels()).containsEntry("table", "users");
    }

    @Test
    void alertsBeyondTheLimitAreCountedNotSent() {
        WebhookPayload.Alert a = WebhookPayload.alert(alert(FIRING_FP, "orders", AlertStatus.FIRING, null), CONSOLE);
        WebhookPayload.Alert b = WebhookPayload.alert(alert(RESOLVED_FP, "users", AlertStatus.FIRING, null), CONSOLE);

        WebhookPayload payload = WebhookPayload.group("{}:{}", Map.of(), List.of(b, a), "pager", CONSOLE, 1);

        assertThat(payload.truncatedAlerts()).isEqualTo(1);
        assertThat(payload.alerts())
                .singleElement()
                .extracting(WebhookPayload.Alert::fingerprint)
                .isEqualTo(FIRING_FP);
        assertThat(payload.commonLabels()).doesNotContainKey("table");
    }

    @Test
    void commonOfNoMapsIsEmpty() {
        assertThat(WebhookPayload.common(List.of())).isEmpty();
    }

    @Test
    void signatureIsHmacSha256OfTheBody() {
        // RFC 4231, test case 2
        assertThat(WebhookSender.sign("Jefe", "what do ya want for nothing?"))
                .isEqualTo("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }
}
