package dev.rollguard.alert.domain.judgment;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The judgment of a flag's current stage.
 *
 * @param status the state
 * @param severity for a regression, the strongest severity among the regressed metrics; NONE otherwise
 * @param regressions the regressed metrics, the strongest evidence first (empty unless REGRESSION)
 * @param metrics every guarded metric's verdict, in the order of the guard pack
 * @param alpha the flag's alpha: split across {@code metrics.size()} metrics for the regression call, whole for
 *     each metric's non-inferiority (HEALTHY)
 */
public record FlagVerdict(
        FlagStatus status,
        Severity severity,
        List<MetricVerdict> regressions,
        List<MetricVerdict> metrics,
        double alpha) {

    public FlagVerdict {
        regressions = List.copyOf(regressions);
        metrics = List.copyOf(metrics);
    }

    /**
     * The always-valid p-value of "some guarded metric is worse than tolerated" (intersection-union: the largest of
     * the metrics' that either cohort reports); 1 without any. HEALTHY at the flag's alpha when at most {@code alpha}.
     */
    public double nonInferiorityP() {
        return metrics.stream()
                .filter(m -> m.treatedClients() > 0 || m.controlClients() > 0)
                .mapToDouble(MetricVerdict::nonInferiorityP)
                .max()
                .orElse(1);
    }

    /** True for a critical regression: the verdict on which the guard policy acts. */
    public boolean isCriticalRegression() {
        return status == FlagStatus.REGRESSION && severity == Severity.CRITICAL;
    }

    /** One line for people: the state and, for a regression, each regressed metric's evidence. */
    public String summary() {
        String head = status == FlagStatus.REGRESSION ? "REGRESSION (" + severity + ")" : status.name();
        if (status == FlagStatus.REGRESSION) {
            return head + ": "
                    + regressions.stream().map(MetricVerdict::summary).collect(Collectors.joining("; "));
        }
        long judged = metrics.stream()
                .filter(m -> m.status() != MetricStatus.NO_DATA && m.status() != MetricStatus.INSUFFICIENT_DATA)
                .count();
        return head + ": " + judged + " of " + metrics.size() + " metrics judged";
    }
}
