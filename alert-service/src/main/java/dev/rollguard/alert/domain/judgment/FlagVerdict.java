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
 * @param populations true when the stage's cohorts are populations rather than subjects one random draw split (a
 *     stage that draws nobody by the flag's bucket: everyone served the treatment against everyone else), so a
 *     difference may be who the subjects are rather than the flag; false for a random draw; null when not told
 */
public record FlagVerdict(
        FlagStatus status,
        Severity severity,
        List<MetricVerdict> regressions,
        List<MetricVerdict> metrics,
        double alpha,
        Boolean populations) {

    /** What {@link #summary} adds for a stage whose cohorts are populations. */
    public static final String POPULATIONS_NOTE =
            "populations compared, not a random draw: this stage draws nobody by the flag's bucket, so a"
                    + " difference may be who its users are";

    public FlagVerdict {
        regressions = List.copyOf(regressions);
        metrics = List.copyOf(metrics);
    }

    public FlagVerdict(
            FlagStatus status,
            Severity severity,
            List<MetricVerdict> regressions,
            List<MetricVerdict> metrics,
            double alpha) {
        this(status, severity, regressions, metrics, alpha, null);
    }

    /** This verdict, told whether its stage's cohorts are populations ({@code null}: not told). */
    public FlagVerdict withPopulations(Boolean populations) {
        return new FlagVerdict(status, severity, regressions, metrics, alpha, populations);
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

    /**
     * One line for people: the state and, for a regression, each regressed metric's evidence; last, for a stage that
     * compares populations, {@link #POPULATIONS_NOTE}.
     */
    public String summary() {
        String head = status == FlagStatus.REGRESSION ? "REGRESSION (" + severity + ")" : status.name();
        String note = Boolean.TRUE.equals(populations) ? "; " + POPULATIONS_NOTE : "";
        if (status == FlagStatus.REGRESSION) {
            return head + ": "
                    + regressions.stream().map(MetricVerdict::summary).collect(Collectors.joining("; "))
                    + note;
        }
        long judged = metrics.stream()
                .filter(m -> m.status() != MetricStatus.NO_DATA && m.status() != MetricStatus.INSUFFICIENT_DATA)
                .count();
        return head + ": " + judged + " of " + metrics.size() + " metrics judged" + note;
    }
}
