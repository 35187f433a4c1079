package dev.rollguard.alert.mapping;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.alert.publisher.WebhookSender;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.AlertStatus;
import dev.rollguard.schemas.event.ScopeType;
import dev.rollguard.schemas.event.Severity;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Alertmanager-shaped webhook body and its signature. */
class WebhookPayloadTest {

    private static AlertEvent alert(AlertStatus status, Instant endsAt) {
        Instant t = Instant.parse("2026-01-01T00:05:00Z");
        return AlertEvent.newBuilder()
                .setAlertId("id")
                .setFingerprint("0123456789abcdef0123456789abcdef")
                .setStatus(status)
                .setSeverity(Severity.CRITICAL)
                .setRuleId("error-rate")
                .setRuleName("Error rate high")
                .setMetric("errorRate")
                .setComparator("GT")
                .setThreshold(0.05)
                .setScopeType(ScopeType.GLOBAL)
                .setScopeKey("global")
                .setFirstBreachAt(t.minusSeconds(300))
                .setStartsAt(t)
                .setEndsAt(endsAt)
                .setEmittedAt(t)
                .setLabels(Map.of("alertname", "Error rate high", "severity", "critical"))
                .setAnnotations(Map.of("summary", "errors"))
                .build();
    }

    @Test
    void firingAlertLooksLikeAlertmanagers() {
        WebhookPayload payload = WebhookPayload.of(alert(AlertStatus.FIRING, null), "pager", "http://rg:8083/");

        assertThat(payload.version()).isEqualTo("4");
        assertThat(payload.status()).isEqualTo("firing");
        assertThat(payload.receiver()).isEqualTo("pager");
        assertThat(payload.externalURL()).isEqualTo("http://rg:8083");
        assertThat(payload.groupLabels()).containsEntry("alertname", "Error rate high");
        assertThat(payload.alerts()).singleElement().satisfies(a -> {
            assertThat(a.startsAt()).isEqualTo("2026-01-01T00:05:00Z");
            assertThat(a.endsAt()).isEqualTo(WebhookPayload.ZERO_TIME);
            assertThat(a.labels()).containsEntry("severity", "critical");
            assertThat(a.generatorURL()).endsWith("fingerprint=0123456789abcdef0123456789abcdef");
        });
    }

    @Test
    void resolvedAlertCarriesItsEnd() {
        WebhookPayload payload = WebhookPayload.of(
                alert(AlertStatus.RESOLVED, Instant.parse("2026-01-01T00:20:00Z")), "pager", "http://rg:8083");

        assertThat(payload.status()).isEqualTo("resolved");
        assertThat(payload.alerts().get(0).endsAt()).isEqualTo("2026-01-01T00:20:00Z");
    }

    @Test
    void signatureIsHmacSha256OfTheBody() {
        // RFC 4231, test case 2
        assertThat(WebhookSender.sign("Jefe", "what do ya want for nothing?"))
                .isEqualTo("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }
}
