package dev.rollguard.alert.mapping;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.rollguard.alert.domain.notify.ActionNotice;
import dev.rollguard.alert.domain.notify.ReceiverKind;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.AlertStatus;
import dev.rollguard.schemas.event.ScopeType;
import dev.rollguard.schemas.event.Severity;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The body each kind of receiver gets, compared with recorded examples ({@code src/test/resources/payloads}) written
 * from the vendors' documentation, and checked against the fields that documentation defines:
 *
 * <ul>
 *   <li>Slack incoming webhooks, https://api.slack.com/messaging/webhooks, Block Kit blocks,
 *       https://api.slack.com/reference/block-kit/blocks;
 *   <li>PagerDuty Events API v2, "Send an Alert Event" and "Send a Change Event",
 *       https://github.com/PagerDuty/developer-docs/tree/main/docs/events-API-v2;
 *   <li>Alertmanager's API v2, postableAlerts, https://github.com/prometheus/alertmanager/blob/main/api/v2/openapi.yaml.
 * </ul>
 */
class ReceiverPayloadsTest {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final ConsoleLinks LINKS = new ConsoleLinks("https://console.example.com/");
    private static final Instant NOW = Instant.parse("2026-03-02T09:20:00Z");
    private static final String ROUTING_KEY = "R0123456789abcdef0123456789abcd";

    private static final Set<String> PD_EVENT_FIELDS =
            Set.of("routing_key", "event_action", "dedup_key", "payload", "images", "links", "client", "client_url");
    private static final Set<String> PD_PAYLOAD_FIELDS =
            Set.of("summary", "source", "severity", "timestamp", "component", "group", "class", "custom_details");
    private static final Set<String> PD_CHANGE_FIELDS = Set.of("routing_key", "payload", "links");
    private static final Set<String> PD_CHANGE_PAYLOAD_FIELDS =
            Set.of("summary", "source", "timestamp", "custom_details");
    private static final Set<String> AM_ALERT_FIELDS =
            Set.of("labels", "annotations", "startsAt", "endsAt", "generatorURL");

    private static AlertEvent alert(String fingerprint, String flag, AlertStatus status, Instant endsAt) {
        Instant t = Instant.parse("2026-03-02T09:15:00Z");
        Map<String, String> labels = new TreeMap<>(Map.of(
                "alertname", "Guard",
                "severity", "critical",
                "rule_id", "guard",
                "scope", "flag:" + flag + ":TREATMENT",
                "scope_type", "FLAG_COHORT",
                "flag", flag,
                "cohort", "TREATMENT"));
        return AlertEvent.newBuilder()
                .setAlertId("id-" + fingerprint)
                .setFingerprint(fingerprint)
                .setStatus(status)
                .setSeverity(Severity.CRITICAL)
                .setRuleId("guard")
                .setRuleName("Guard")
                .setMetric("failure")
                .setComparator("GUARD")
                .setThreshold(0.2)
                .setScopeType(ScopeType.FLAG_COHORT)
                .setScopeKey("flag:" + flag + ":TREATMENT")
                .setFlagKey(flag)
                .setFirstBreachAt(t.minusSeconds(10))
                .setStartsAt(t)
                .setEndsAt(endsAt)
                .setEmittedAt(t)
                .setLabels(labels)
                .setAnnotations(Map.of(
                        "summary", "Guard on " + flag + ": failure rate 3.11 % vs 1.0 %",
                        "description", "failure rate 3.11 % vs 1.0 %, +211 % <worse>",
                        "runbook_url", "https://runbooks.example/guard"))
                .build();
    }

    /** One firing and one resolved guard alert of two flags, grouped by rule and severity. */
    private static WebhookPayload group() {
        return WebhookPayload.group(
                "{}:{rule_id=\"guard\", severity=\"critical\"}",
                Map.of("rule_id", "guard", "severity", "critical"),
                List.of(
                        WebhookPayload.alert(
                                alert("0123456789abcdef0123456789abcdef", "checkout-v2", AlertStatus.FIRING, null),
                                LINKS),
                        WebhookPayload.alert(
                                alert(
                                        "fedcba9876543210fedcba9876543210",
                                        "search & rank",
                                        AlertStatus.RESOLVED,
                                        Instant.parse("2026-03-02T09:18:00Z")),
                                LINKS)),
                "on-call",
                LINKS,
                0);
    }

    private static List<Notification> forGroup(ReceiverKind kind) {
        return ReceiverPayloads.forGroup(kind, ROUTING_KEY, group(), LINKS, NOW, Duration.ofMinutes(1));
    }

    private static ActionNotice kill() {
        return ActionMapper.fromRollback(
                ActionFixtures.kill("0123456789abcdef0123456789abcdef:1772442905000", "checkout-v2"));
    }

    private static ActionNotice promote() {
        return ActionMapper.fromRollout(ActionFixtures.promote("checkout-v2:12:PROMOTE", "checkout-v2"));
    }

    private static List<Notification> forAction(ReceiverKind kind, ActionNotice action) {
        return ReceiverPayloads.forAction(kind, ROUTING_KEY, "on-call", action, LINKS);
    }

    @Test
    void genericAlertsAreTheAlertmanagerWebhookBodyUnchanged() throws IOException {
        List<Notification> requests = forGroup(ReceiverKind.GENERIC);
        assertThat(requests).hasSize(1);
        assertThat(requests.get(0).endpoint()).isNull();
        assertThat(requests.get(0).body()).isEqualTo(group());
    }

    @Test
    void slackGetsTextAndBlocksLinkingToTheConsole() throws IOException {
        List<Notification> requests = forGroup(ReceiverKind.SLACK);
        assertThat(requests).hasSize(1);
        JsonNode body = matchesRecorded(requests.get(0).body(), "slack-alerts.json");
        assertSlackMessage(body);
        assertThat(body.get("text").asText()).isEqualTo("[FIRING:1] Guard (critical)");
        assertThat(body.toString())
                .contains("<https://console.example.com/flags/checkout-v2|Guard>")
                .contains("<https://console.example.com/flags/search%20%26%20rank|Guard>")
                .contains("+211 % &lt;worse&gt;")
                .doesNotContain("/api/");
    }

    @Test
    void pagerDutyGetsOneAlertEventPerAlertDeduplicatedByFingerprint() throws IOException {
        List<Notification> requests = forGroup(ReceiverKind.PAGERDUTY);
        assertThat(requests).extracting(Notification::endpoint).containsOnlyNulls();
        JsonNode events =
                matchesRecorded(requests.stream().map(Notification::body).toList(), "pagerduty-alerts.json");
        assertThat(events).hasSize(2);
        JsonNode trigger = events.get(0);
        assertThat(fields(trigger)).isSubsetOf(PD_EVENT_FIELDS);
        assertThat(fields(trigger.get("payload"))).isSubsetOf(PD_PAYLOAD_FIELDS);
        assertThat(trigger.get("routing_key").asText()).isEqualTo(ROUTING_KEY);
        assertThat(trigger.get("event_action").asText()).isEqualTo("trigger");
        assertThat(trigger.get("dedup_key").asText()).isEqualTo("0123456789abcdef0123456789abcdef");
        JsonNode payload = trigger.get("payload");
        assertThat(payload.get("summary").asText()).isNotBlank().hasSizeLessThanOrEqualTo(1024);
        assertThat(payload.get("source").asText()).isNotBlank();
        assertThat(payload.get("severity").asText()).isIn("critical", "error", "warning", "info");
        assertThat(trigger.get("links").get(0).get("href").asText())
                .isEqualTo("https://console.example.com/flags/checkout-v2");
        JsonNode resolve = events.get(1);
        assertThat(fields(resolve)).containsExactlyInAnyOrder("routing_key", "event_action", "dedup_key");
        assertThat(resolve.get("event_action").asText()).isEqualTo("resolve");
        assertThat(resolve.get("dedup_key").asText()).isEqualTo("fedcba9876543210fedcba9876543210");
    }

    @Test
    void pagerDutySummariesAreCutToTheirLimit() {
        String longSummary = "x".repeat(3000);
        AlertEvent event = alert("0123456789abcdef0123456789abcdef", "f", AlertStatus.FIRING, null);
        event.setAnnotations(Map.of("summary", longSummary));
        Map<String, Object> trigger = PagerDutyEvent.forAlert(WebhookPayload.alert(event, LINKS), ROUTING_KEY, LINKS);
        @SuppressWarnings("unchecked")
        Map<String, Object> payload = (Map<String, Object>) trigger.get("payload");
        assertThat((String) payload.get("summary")).hasSize(PagerDutyEvent.SUMMARY_MAX);
    }

    @Test
    void alertmanagerGetsPostableAlertsValidForFourResends() throws IOException {
        List<Notification> requests = forGroup(ReceiverKind.ALERTMANAGER);
        assertThat(requests).hasSize(1);
        JsonNode alerts = matchesRecorded(requests.get(0).body(), "alertmanager-alerts.json");
        assertThat(alerts.isArray()).isTrue();
        for (JsonNode alert : alerts) {
            assertThat(fields(alert)).isSubsetOf(AM_ALERT_FIELDS);
            assertThat(fields(alert.get("labels"))).allMatch(name -> name.matches("[a-zA-Z_][a-zA-Z0-9_]*"));
            Instant.parse(alert.get("startsAt").asText());
            Instant.parse(alert.get("endsAt").asText());
        }
        // Firing: valid until four repeat intervals from now, so Alertmanager keeps it firing between resends.
        assertThat(alerts.get(0).get("endsAt").asText())
                .isEqualTo(NOW.plus(Duration.ofMinutes(4)).toString());
        // Resolved: ended when Rollguard resolved it.
        assertThat(alerts.get(1).get("endsAt").asText()).isEqualTo("2026-03-02T09:18:00Z");
    }

    @Test
    void genericActionsHaveADocumentedBody() throws IOException {
        List<Notification> rollback = forAction(ReceiverKind.GENERIC, kill());
        assertThat(rollback).hasSize(1);
        JsonNode kill = matchesRecorded(rollback.get(0).body(), "generic-action-rollback.json");
        assertThat(kill.get("type").asText()).isEqualTo("action");
        assertThat(kill.get("consoleURL").asText()).isEqualTo("https://console.example.com/flags/checkout-v2");
        assertThat(kill.get("evidence").asText()).startsWith("failure rate 3.11 % vs 1.0 %");

        JsonNode promote = matchesRecorded(
                forAction(ReceiverKind.GENERIC, promote()).get(0).body(), "generic-action-rollout.json");
        assertThat(promote.get("source").asText()).isEqualTo("promoter");
        assertThat(promote.get("evidence").asText())
                .isEqualTo("verdict HEALTHY at 99 % confidence, 240 treated vs 4310 control clients (min 100), 900 s"
                        + " in stage (min 600 s); sync-duration INCONCLUSIVE +2.8 %");
    }

    @Test
    void slackActionsCarryTheEvidenceAndTheFlagsConsolePage() throws IOException {
        JsonNode kill =
                matchesRecorded(forAction(ReceiverKind.SLACK, kill()).get(0).body(), "slack-action-rollback.json");
        assertSlackMessage(kill);
        assertThat(kill.get("text").asText()).startsWith("Rollguard rollback-service: KILL checkout-v2: APPLIED");
        assertThat(kill.toString())
                .contains("<https://console.example.com/flags/checkout-v2|Open checkout-v2 in the Rollguard console>")
                .contains("*Evidence:* failure rate 3.11 % vs 1.0 %");
        JsonNode promote =
                matchesRecorded(forAction(ReceiverKind.SLACK, promote()).get(0).body(), "slack-action-rollout.json");
        assertSlackMessage(promote);
    }

    @Test
    void pagerDutyActionsAreChangeEvents() throws IOException {
        List<Notification> requests = forAction(ReceiverKind.PAGERDUTY, kill());
        assertThat(requests).hasSize(1);
        assertThat(requests.get(0).endpoint()).isEqualTo(Notification.CHANGE_ENDPOINT);
        JsonNode change = matchesRecorded(requests.get(0).body(), "pagerduty-action-rollback.json");
        assertThat(fields(change)).isSubsetOf(PD_CHANGE_FIELDS);
        assertThat(fields(change.get("payload"))).isSubsetOf(PD_CHANGE_PAYLOAD_FIELDS);
        assertThat(change.get("payload").get("summary").asText()).hasSizeLessThanOrEqualTo(1024);
        assertThat(change.get("payload").get("timestamp").asText()).isEqualTo("2026-03-02T09:15:05.095Z");
    }

    @Test
    void alertmanagerIsToldNoActions() {
        assertThat(forAction(ReceiverKind.ALERTMANAGER, kill())).isEmpty();
        assertThat(ReceiverKind.ALERTMANAGER.takesActions()).isFalse();
    }

    @Test
    void aRollbackWithoutGuardEvidenceDescribesTheBreach() {
        var event = ActionFixtures.kill("a:1", "f");
        event.setComparison(null);
        event.setComparator("GT");
        event.setRuleName("Error rate high");
        event.setMetric("errorRate");
        event.setObservedValue(0.0812);
        event.setThreshold(0.05);
        event.setSampleSize(5000);
        assertThat(ActionMapper.fromRollback(event).evidence())
                .isEqualTo("Error rate high: errorRate 0.0812 > 0.05 over 5000 events");
    }

    private static void assertSlackMessage(JsonNode body) {
        assertThat(body.get("text").asText()).isNotBlank();
        assertThat(body.get("blocks").size()).isBetween(1, 50);
        for (JsonNode block : body.get("blocks")) {
            String type = block.get("type").asText();
            assertThat(type).isIn("header", "section", "context");
            if (type.equals("header")) {
                assertThat(block.get("text").get("type").asText()).isEqualTo("plain_text");
                assertThat(block.get("text").get("text").asText()).hasSizeLessThanOrEqualTo(150);
            }
            if (type.equals("section") && block.has("text")) {
                assertThat(block.get("text").get("text").asText()).hasSizeLessThanOrEqualTo(3000);
            }
        }
    }

    private static List<String> fields(JsonNode node) {
        List<String> names = new java.util.ArrayList<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            names.add(it.next());
        }
        return names;
    }

    /** The body as JSON, after checking it equals the recorded example (key order aside). */
    private static JsonNode matchesRecorded(Object body, String example) throws IOException {
        JsonNode actual = JSON.readTree(JSON.writeValueAsString(body));
        try (InputStream in = ReceiverPayloadsTest.class.getResourceAsStream("/payloads/" + example)) {
            assertThat(in)
                    .as("recorded example %s; this body is:%n%s", example, JSON.writeValueAsString(actual))
                    .isNotNull();
            JsonNode expected = JSON.readTree(in);
            assertThat(actual)
                    .as("%s; this body is:%n%s", example, JSON.writeValueAsString(actual))
                    .isEqualTo(expected);
        }
        return actual;
    }
}
