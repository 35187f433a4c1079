package dev.rollguard.alert.service;

import dev.rollguard.alert.domain.judgment.FlagVerdict;
import dev.rollguard.alert.domain.judgment.MetricVerdict;
import dev.rollguard.alert.service.GuardEvaluator.FlagGuard;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;

/**
 * A flag's verdict with every metric's evidence, as {@code GET /api/guard} shows it. The replica that owns the flag's
 * partition stores it with the stage's evidence after every batch, so every other replica answers with the same
 * verdict, stage version included (the promoter advances only on a verdict of the stage in force).
 *
 * @param confidence 1 - the flag's alpha: the probability, over the whole stage however often it is looked at, that a
 *     healthy stage is not called a regression; also the confidence of HEALTHY's non-inferiority
 * @param nonInferiorityP always-valid p-value of "some guarded metric is worse than tolerated" (the largest of the
 *     reported metrics'): HEALTHY when at most {@code 1 - confidence}
 * @param variant for a flag with weighted variants, the treated variant whose verdict is the flag's (its worst); null
 *     for a plain flag
 * @param variants for a flag with weighted variants, each treated variant's own verdict against the control, by
 *     variant name; empty otherwise
 * @param cohorts what the stage's cohorts are: {@code DRAWN}, subjects one random draw of the flag's bucket split;
 *     {@code POPULATIONS}, everyone served the treatment against everyone else (a stage that draws nobody: the
 *     internal stage, rules with fixed variants only), whose difference may be who the users are; null when the
 *     windows did not tell ({@code WindowMetricsEvent.comparesPopulations}: a metrics-ingest before v5, or one that
 *     no longer holds the version that began the stage)
 */
public record GuardView(
        String flagKey,
        Long stageVersion,
        String status,
        String severity,
        String summary,
        Double confidence,
        Double nonInferiorityP,
        Instant judgedAt,
        List<MetricView> metrics,
        String variant,
        List<GuardView> variants,
        String cohorts) {

    /** {@link #cohorts} of a stage whose cohorts are subjects one random draw split. */
    public static final String DRAWN = "DRAWN";

    /** {@link #cohorts} of a stage whose cohorts are populations. */
    public static final String POPULATIONS = "POPULATIONS";

    /**
     * One metric's evidence.
     *
     * @param nonInferiorityP always-valid p-value of "worse than the guard's tolerance"
     * @param shownWithin the tightest relative tolerance the metric is shown non-inferior for (0.5: no worse than
     *     +50 %), at the flag's confidence; null while none up to +300 % is
     */
    public record MetricView(
            String metric,
            String label,
            String status,
            String severity,
            String method,
            Double treated,
            Double control,
            Double relativeEffect,
            Double effectLower,
            Double effectUpper,
            double confidence,
            long treatedClients,
            long controlClients,
            double treatedEvents,
            double controlEvents,
            double evidence,
            double nonInferiorityP,
            Double shownWithin,
            String summary) {

        static MetricView of(MetricVerdict m) {
            return new MetricView(
                    m.spec().name(),
                    m.spec().label(),
                    m.status().name(),
                    m.severity().name(),
                    m.method(),
                    finite(m.treated()),
                    finite(m.control()),
                    finite(m.relativeEffect()),
                    finite(m.relativeInterval().lower()),
                    finite(m.relativeInterval().upper()),
                    m.confidence(),
                    m.treatedClients(),
                    m.controlClients(),
                    m.treatedEvents(),
                    m.controlEvents(),
                    m.evidenceFraction(),
                    m.nonInferiorityP(),
                    finite(m.shownWithin()),
                    m.summary());
        }
    }

    public GuardView {
        metrics = metrics == null ? List.of() : metrics;
        variants = variants == null ? List.of() : variants;
    }

    /** The view of a verdict the guard reached, with its variants' own. */
    public static GuardView of(FlagGuard guard) {
        FlagVerdict verdict = guard.verdict();
        return new GuardView(
                guard.flagKey(),
                guard.stageVersion(),
                verdict.status().name(),
                verdict.severity().name(),
                verdict.summary(),
                1 - verdict.alpha(),
                verdict.nonInferiorityP(),
                Instant.ofEpochMilli(guard.windowEnd()),
                verdict.metrics().stream().map(MetricView::of).toList(),
                guard.variant(),
                guard.variants().values().stream()
                        .sorted(Comparator.comparing(FlagGuard::variant))
                        .map(GuardView::of)
                        .toList(),
                verdict.populations() == null ? null : verdict.populations() ? POPULATIONS : DRAWN);
    }

    private static Double finite(double value) {
        return Double.isFinite(value) ? value : null;
    }
}
