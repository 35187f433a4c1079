package dev.rollguard.console.view;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.schemas.event.AlertEvent;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** An alert transition, from the alert-service's API or from the {@code alerts} topic. */
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
        Map<String, String> annotations) {

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
                e.getAnnotations() == null ? Map.of() : Map.copyOf(e.getAnnotations()));
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
                annotations(n.path("annotations")));
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
