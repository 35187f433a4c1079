package dev.rollguard.alert.domain.judgment;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Judges a flag's current stage on all its guarded metrics at once. Call it after every closed window with the
 * stage-cumulative moments: the verdicts are always valid, so looking as often as wanted keeps the promised error
 * rates.
 *
 * <p>The flag's alpha is split evenly across its metrics (Bonferroni), so the probability that a healthy stage is
 * ever called a critical regression on any metric, at any look, is at most alpha; the same for the warning alpha. The
 * split does not assume the metrics independent (failure, sync failure and upload failure overlap by construction),
 * and with ten metrics it costs little: the boundary grows with {@code sqrt(log(m / alpha))}.
 *
 * <p>HEALTHY is the other way round: every metric non-inferior. Its null hypothesis, "at least one metric is worse than
 * tolerated", is a union, so it is rejected by an intersection-union test: each metric's non-inferiority claim at the
 * full alpha, with no split, keeps the probability that a stage with any metric worse than tolerated is ever called
 * HEALTHY at most alpha (Berger, "Multiparameter hypothesis testing and acceptance sampling", Technometrics 1982;
 * Berger and Hsu, Statistical Science 1996). The flag's non-inferiority p-value is therefore the largest of its
 * metrics'.
 *
 * <p>A flag whose treatment is split among weighted variants is judged once per treated variant against the control,
 * and a critical regression of any one kills the flag: {@link #perVariant} splits the regression alphas over the k
 * variants as well (alpha / (k m) a metric), so the flag's false-alarm rate stays at most alpha. Its HEALTHY needs
 * every variant non-inferior, again an intersection-union test, so that claim keeps the full alpha.
 */
public final class FlagJudgment {

    private final List<MetricSpec> specs;
    private final double alpha;
    private final double warningAlpha;
    /** The tests of a regression the flag's alpha is split over besides its metrics: its treated variants. */
    private final int comparisons;

    public FlagJudgment(List<MetricSpec> specs, double alpha, double warningAlpha) {
        this(specs, alpha, warningAlpha, 1);
    }

    private FlagJudgment(List<MetricSpec> specs, double alpha, double warningAlpha, int comparisons) {
        if (specs.isEmpty()) {
            throw new IllegalArgumentException("a flag needs at least one guarded metric");
        }
        if (!(alpha > 0 && alpha < 1) || !(warningAlpha >= alpha && warningAlpha < 1)) {
            throw new IllegalArgumentException("need 0 < alpha <= warningAlpha < 1: " + alpha + ", " + warningAlpha);
        }
        if (specs.stream().map(MetricSpec::name).distinct().count() != specs.size()) {
            throw new IllegalArgumentException("metric names must be unique");
        }
        if (comparisons < 1) {
            throw new IllegalArgumentException("need at least one comparison: " + comparisons);
        }
        this.specs = List.copyOf(specs);
        this.alpha = alpha;
        this.warningAlpha = warningAlpha;
        this.comparisons = comparisons;
    }

    /** This judgment for one of {@code variants} treated variants, each judged with it against the control. */
    public FlagJudgment perVariant(int variants) {
        return variants == comparisons ? this : new FlagJudgment(specs, alpha, warningAlpha, variants);
    }

    /** The default guard pack at the default alphas. */
    public static FlagJudgment defaultGuard() {
        return new FlagJudgment(GuardPack.DEFAULT, GuardPack.ALPHA, GuardPack.WARNING_ALPHA);
    }

    public List<MetricSpec> specs() {
        return specs;
    }

    /** Each metric's share of the flag's alpha (and of each treated variant's, {@link #perVariant}). */
    public double metricAlpha() {
        return alpha / (specs.size() * (double) comparisons);
    }

    /**
     * Judges the stage. {@code samples} maps metric names to their stage-cumulative moments; a metric without an
     * entry has no data.
     */
    public FlagVerdict judge(Map<String, MetricSample> samples) {
        double metricAlpha = metricAlpha();
        double metricWarningAlpha = warningAlpha / (specs.size() * (double) comparisons);
        List<MetricVerdict> verdicts = new ArrayList<>(specs.size());
        for (MetricSpec spec : specs) {
            MetricSample sample = samples.getOrDefault(spec.name(), empty(spec));
            verdicts.add(MetricComparison.compare(spec, sample, metricAlpha, metricWarningAlpha, alpha));
        }
        return combine(verdicts);
    }

    private FlagVerdict combine(List<MetricVerdict> verdicts) {
        List<MetricVerdict> regressions = verdicts.stream()
                .filter(MetricVerdict::isRegression)
                .sorted(Comparator.comparing(MetricVerdict::severity)
                        .reversed()
                        .thenComparing(Comparator.comparingDouble(MetricVerdict::evidenceFraction)
                                .reversed()))
                .toList();
        if (!regressions.isEmpty()) {
            return new FlagVerdict(FlagStatus.REGRESSION, regressions.get(0).severity(), regressions, verdicts, alpha);
        }
        boolean treatmentSilent = verdicts.stream().allMatch(v -> v.treatedClients() == 0);
        boolean controlSilent = verdicts.stream().allMatch(v -> v.controlClients() == 0);
        if (treatmentSilent || controlSilent) {
            return new FlagVerdict(FlagStatus.NO_DATA, Severity.NONE, List.of(), verdicts, alpha);
        }
        List<MetricVerdict> judged = verdicts.stream()
                .filter(v -> v.status() != MetricStatus.NO_DATA && v.status() != MetricStatus.INSUFFICIENT_DATA)
                .toList();
        if (judged.isEmpty()) {
            return new FlagVerdict(FlagStatus.INSUFFICIENT_DATA, Severity.NONE, List.of(), verdicts, alpha);
        }
        // A metric that neither cohort reports (an app without uploads) does not block promotion; one that only one
        // cohort reports, or that is still short of data, does.
        boolean allNonInferior = verdicts.stream()
                .allMatch(v ->
                        v.status() == MetricStatus.NON_INFERIOR || v.treatedClients() == 0 && v.controlClients() == 0);
        FlagStatus status = allNonInferior ? FlagStatus.HEALTHY : FlagStatus.INCONCLUSIVE;
        return new FlagVerdict(status, Severity.NONE, List.of(), verdicts, alpha);
    }

    private static MetricSample empty(MetricSpec spec) {
        if (spec.kind() == MetricKind.TAIL_LADDER) {
            List<CohortMoments> none =
                    spec.ladder().stream().map(t -> CohortMoments.EMPTY).toList();
            return MetricSample.ladder(none, none);
        }
        return MetricSample.ratio(CohortMoments.EMPTY, CohortMoments.EMPTY);
    }
}
