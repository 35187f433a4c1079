package dev.rollguard.console.view;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.console.client.ApiResult;
import dev.rollguard.schemas.event.AlertEvent;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An alert transition, from the alert-service's API or from the {@code alerts} topic. {@code undelivered} is the
 * alert-service's reason when it dead-lettered the transition (Kafka could never take it, so no subscriber of the
 * topic, the rollback-service among them, saw it), on one line; null for any other delivery state, an unknown one, or
 * none given (an alert-service from before delivery states, a transition read from the topic).
 */
public record AlertRow(
        String alertId,
        String fingerprint,
        String status,
        String severity,
        String ruleId,
        String ruleName,
        String metric,
        String comparator,
        double threshold,
        Double observedValue,
        long sampleSize,
        String scopeKey,
        String flagKey,
        String cohort,
        Instant startsAt,
        Instant endsAt,
        Instant emittedAt,
        Comparison comparison,
        Map<String, String> annotations,
        String undelivered) {

    /** What a dead-lettered transition without a reason is said with. */
    static final String NO_REASON = "no reason given";

    /** True when the alert-service dead-lettered this transition: it never reached the alerts topic. */
    public boolean notDelivered() {
        return undelivered != null;
    }

    /** The rule's one-line summary annotation, or null. */
    public String summary() {
        return annotations.get("summary");
    }

    /** The rule's description annotation, or null. */
    public String description() {
        return annotations.get("description");
    }

    /** The rule's runbook, only when it is an http(s) address: anything else is not made a link. */
    public String runbookUrl() {
        return Formats.webLink(annotations.get("runbook_url"));
    }

    /** The threshold in words; the guard's is a tolerance relative to control. */
    public String thresholdLabel() {
        return Formats.threshold(metric, comparator, threshold);
    }

    public boolean critical() {
        return "CRITICAL".equals(severity);
    }

    public boolean firing() {
        return "FIRING".equals(status);
    }

    /** When it happened on a timeline: the end for a resolution, else the start. */
    public Instant at() {
        return !firing() && endsAt != null ? endsAt : startsAt;
    }

    public static AlertRow of(AlertEvent e) {
        return new AlertRow(
                e.getAlertId(),
                e.getFingerprint(),
                e.getStatus().name(),
                e.getSeverity().name(),
                e.getRuleId(),
                e.getRuleName(),
                e.getMetric(),
                e.getComparator(),
                e.getThreshold(),
                e.getObservedValue(),
                e.getSampleSize(),
                e.getScopeKey(),
                e.getFlagKey(),
                e.getCohort() == null ? null : e.getCohort().name(),
                e.getStartsAt(),
                e.getEndsAt(),
                e.getEmittedAt(),
                Comparison.of(e.getComparison()),
                e.getAnnotations() == null ? Map.of() : Map.copyOf(e.getAnnotations()),
                null);
    }

    public static AlertRow of(JsonNode n) {
        return new AlertRow(
                Json.text(n, "alertId"),
                Json.text(n, "fingerprint"),
                Json.text(n, "status"),
                Json.text(n, "severity"),
                Json.text(n, "ruleId"),
                Json.text(n, "ruleName"),
                Json.text(n, "metric"),
                Json.text(n, "comparator"),
                n.path("threshold").asDouble(),
                Json.dbl(n, "observedValue"),
                n.path("sampleSize").asLong(),
                Json.text(n, "scopeKey"),
                Json.text(n, "flagKey"),
                Json.text(n, "cohort"),
                Json.instant(n, "startsAt"),
                Json.instant(n, "endsAt"),
                Json.instant(n, "emittedAt"),
                Comparison.of(n.get("comparison")),
                annotations(n.path("annotations")),
                undelivered(n.path("delivery")));
    }

    /**
     * The reason of a {@code DEAD_LETTERED} delivery, cleaned as the console cleans every service text (it may quote
     * Kafka's own message); null for a missing delivery or any other state (PENDING, PUBLISHED, one added later).
     */
    static String undelivered(JsonNode delivery) {
        if (!delivery.isObject()
                || !"DEAD_LETTERED".equals(delivery.path("state").asText())) {
            return null;
        }
        String reason = ApiResult.oneLine(Json.text(delivery, "reason"));
        return reason == null || reason.isEmpty() ? NO_REASON : reason;
    }

    private static Map<String, String> annotations(JsonNode n) {
        Map<String, String> map = new LinkedHashMap<>();
        if (n.isObject()) {
            n.fields().forEachRemaining(f -> {
                if (f.getValue().isTextual()) {
                    map.put(f.getKey(), f.getValue().asText());
                }
            });
        }
        return map;
    }
}
