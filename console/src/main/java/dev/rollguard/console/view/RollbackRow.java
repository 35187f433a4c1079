package dev.rollguard.console.view;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollguard.schemas.event.RollbackActionEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * An action of the guard with its evidence: the rule, what it observed against which threshold, the cohorts behind
 * it, and the timings from the first breaching event to clients seeing the change.
 */
public record RollbackRow(
        String id,
        String flagKey,
        String action,
        String outcome,
        String reason,
        boolean dryRun,
        String ruleId,
        String ruleName,
        String metric,
        String comparator,
        double threshold,
        Double observedValue,
        long sampleSize,
        String scopeKey,
        String cohort,
        Comparison comparison,
        Instant windowStart,
        Instant windowEnd,
        Long flagVersionBefore,
        Long flagVersionAfter,
        List<Step> timings,
        Instant createdAt) {

    /** One step of the path breach -> window -> alert -> flip -> visible, with the time since the step before. */
    public record Step(String label, Instant at, Long sincePreviousMs) {}

    public boolean applied() {
        return "APPLIED".equals(outcome);
    }

    /** When the flag changed, else when the action was decided: where it sits on a timeline. */
    public Instant at() {
        for (Step step : timings) {
            if (step.label().equals("flag changed") && step.at() != null) {
                return step.at();
            }
        }
        return createdAt;
    }

    /** Milliseconds from the first breaching event to the flag change, when both are known. */
    public Long breachToFlipMs() {
        Instant breach = timings.isEmpty() ? null : timings.get(0).at();
        Instant flip = timings.size() > 4 ? timings.get(4).at() : null;
        return breach == null || flip == null
                ? null
                : Duration.between(breach, flip).toMillis();
    }

    private static List<Step> steps(Instant... at) {
        String[] labels = {
            "first breaching event",
            "window closed",
            "alert fired",
            "alert received",
            "flag changed",
            "visible to clients"
        };
        List<Step> steps = new ArrayList<>();
        Instant previous = null;
        for (int i = 0; i < labels.length; i++) {
            Long delta = previous == null || at[i] == null
                    ? null
                    : Duration.between(previous, at[i]).toMillis();
            steps.add(new Step(labels[i], at[i], delta));
            if (at[i] != null) {
                previous = at[i];
            }
        }
        return steps;
    }

    public static RollbackRow of(RollbackActionEvent e) {
        return new RollbackRow(
                e.getActionId(),
                e.getFlagKey(),
                e.getAction().name(),
                e.getOutcome().name(),
                e.getReason(),
                e.getDryRun(),
                e.getRuleId(),
                e.getRuleName(),
                e.getMetric(),
                e.getComparator(),
                e.getThreshold(),
                e.getObservedValue(),
                e.getSampleSize(),
                e.getScopeKey(),
                e.getCohort() == null ? null : e.getCohort().name(),
                Comparison.of(e.getComparison()),
                e.getWindowStart(),
                e.getWindowEnd(),
                e.getFlagVersionBefore(),
                e.getFlagVersionAfter(),
                steps(
                        e.getFirstBreachAt(),
                        e.getWindowClosedAt(),
                        e.getAlertFiredAt(),
                        e.getAlertReceivedAt(),
                        e.getFlagChangedAt(),
                        e.getVisibleAt()),
                e.getAlertReceivedAt());
    }

    /** The threshold in words; the guard's is a tolerance relative to control. */
    public String thresholdLabel() {
        return Formats.threshold(metric, comparator, threshold);
    }

    /**
     * From the rollback-service's {@code GET /api/rollbacks} view: the event's fields under the same names (earlier
     * versions nested them under {@code evidence} and {@code timings}; both are read).
     */
    public static RollbackRow of(JsonNode view) {
        ObjectNode n = view.deepCopy();
        for (String nested : new String[] {"evidence", "timings"}) {
            JsonNode part = view.get(nested);
            if (part != null && part.isObject()) {
                part.fields().forEachRemaining(f -> {
                    if (!n.hasNonNull(f.getKey())) {
                        n.set(f.getKey(), f.getValue());
                    }
                });
            }
        }
        return new RollbackRow(
                Json.text(n, "id"),
                Json.text(n, "flagKey"),
                Json.text(n, "action"),
                Json.text(n, "outcome"),
                Json.text(n, "reason"),
                n.path("dryRun").asBoolean(),
                Json.text(n, "ruleId"),
                Json.text(n, "ruleName"),
                Json.text(n, "metric"),
                Json.text(n, "comparator"),
                n.path("threshold").asDouble(),
                Json.dbl(n, "observedValue"),
                n.path("sampleSize").asLong(),
                Json.text(n, "scopeKey"),
                Json.text(n, "cohort"),
                Comparison.of(n.get("comparison")),
                Json.instant(n, "windowStart"),
                Json.instant(n, "windowEnd"),
                Json.lng(n, "flagVersionBefore"),
                Json.lng(n, "flagVersionAfter"),
                steps(
                        Json.instant(n, "firstBreachAt"),
                        Json.instant(n, "windowClosedAt"),
                        Json.instant(n, "alertFiredAt"),
                        Json.instant(n, "alertReceivedAt"),
                        Json.instant(n, "flagChangedAt"),
                        Json.instant(n, "visibleAt")),
                Json.instant(n, "createdAt"));
    }
}
