package dev.rollguard.rollback.domain;

import java.time.Instant;
import java.util.List;

/**
 * The guard's latest verdict on a flag's stage, as the alert-service serves it ({@code GET /api/guard}).
 *
 * @param stageVersion the flag version that began the stage judged; null for a verdict stored before the
 *     alert-service restarted and not judged since
 * @param status HEALTHY, INCONCLUSIVE, INSUFFICIENT_DATA, NO_DATA or REGRESSION
 * @param confidence 1 - the flag's alpha, always valid
 * @param alerts rule levels pending or firing on the flag's scopes now
 */
public record GuardReading(
        String flagKey,
        Long stageVersion,
        String status,
        String summary,
        Double confidence,
        Instant judgedAt,
        List<Metric> metrics,
        List<ActiveAlert> alerts) {

    /**
     * One guarded metric as judged.
     *
     * @param nonInferiorityP always-valid p-value of "worse than tolerated"; HEALTHY needs every reported metric's at
     *     most {@code 1 - confidence}; null from an alert-service that does not serve it
     * @param shownWithin the tightest relative tolerance the metric is shown non-inferior for at the verdict's
     *     confidence (0.5: no more than 50 % worse than control); null while none is
     */
    public record Metric(
            String metric,
            String status,
            Double treated,
            Double control,
            Double relativeEffect,
            Double effectLower,
            Double effectUpper,
            long treatedClients,
            long controlClients,
            Double nonInferiorityP,
            Double shownWithin) {}

    /** A rule level pending or firing on one of the flag's scopes. */
    public record ActiveAlert(
            String ruleId, String ruleName, String scopeKey, String cohort, String severity, String phase) {}

    public GuardReading {
        metrics = metrics == null ? List.of() : List.copyOf(metrics);
        alerts = alerts == null ? List.of() : List.copyOf(alerts);
    }

    /** The metrics either cohort reports: the ones a verdict stands on. */
    public List<Metric> reported() {
        return metrics.stream()
                .filter(m -> m.treatedClients() > 0 || m.controlClients() > 0)
                .toList();
    }

    /**
     * Whether every reported metric is shown no worse than control by more than {@code tolerancePercent} %, at the
     * verdict's confidence, and the verdict has judged them all (not NO_DATA, INSUFFICIENT_DATA or REGRESSION).
     */
    public boolean shownWithin(int tolerancePercent) {
        if (!"HEALTHY".equals(status) && !"INCONCLUSIVE".equals(status)) {
            return false;
        }
        List<Metric> reported = reported();
        return !reported.isEmpty()
                && reported.stream()
                        .allMatch(m -> m.shownWithin() != null && m.shownWithin() <= tolerancePercent / 100.0 + 1e-9);
    }

    /** The reported metric with the widest bound (none counts as widest), or null without any. */
    public Metric widest() {
        return reported().stream()
                .max(java.util.Comparator.comparingDouble(
                        m -> m.shownWithin() == null ? Double.POSITIVE_INFINITY : m.shownWithin()))
                .orElse(null);
    }

    /**
     * The reported metric furthest from being shown non-inferior (the largest p-value), or null when no metric says.
     */
    public Metric weakest() {
        return metrics.stream()
                .filter(m -> (m.treatedClients() > 0 || m.controlClients() > 0) && m.nonInferiorityP() != null)
                .max(java.util.Comparator.comparingDouble(Metric::nonInferiorityP))
                .orElse(null);
    }

    /** Clients seen in the treated cohort since the stage began: the most any metric counted. */
    public long treatedClients() {
        return metrics.stream().mapToLong(Metric::treatedClients).max().orElse(0);
    }

    /** Clients seen in the control cohort since the stage began. */
    public long controlClients() {
        return metrics.stream().mapToLong(Metric::controlClients).max().orElse(0);
    }
}
