package dev.rollguard.alert.domain.judgment;

import static dev.rollguard.alert.domain.judgment.MetricComparisonTest.clustered;
import static dev.rollguard.alert.domain.judgment.MetricComparisonTest.spread;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A flag's verdict from its metrics' verdicts. */
class FlagJudgmentTest {

    private final FlagJudgment judgment = FlagJudgment.defaultGuard();

    @Test
    void alphaIsSplitAcrossTheMetrics() {
        assertThat(judgment.specs()).hasSize(10);
        assertThat(judgment.metricAlpha()).isEqualTo(0.001);
    }

    @Test
    void silenceIsNoData() {
        FlagVerdict v = judgment.judge(Map.of());
        assertThat(v.status()).isEqualTo(FlagStatus.NO_DATA);
        assertThat(judgment.judge(Map.of("failure", MetricSample.ratio(CohortMoments.EMPTY, spread(1_000, 20, 200))))
                        .status())
                .isEqualTo(FlagStatus.NO_DATA);
    }

    @Test
    void littleDataIsInsufficient() {
        FlagVerdict v = judgment.judge(Map.of("failure", MetricSample.ratio(spread(5, 5, 0), spread(100, 5, 5))));
        assertThat(v.status()).isEqualTo(FlagStatus.INSUFFICIENT_DATA);
        assertThat(v.isCriticalRegression()).isFalse();
        assertThat(v.summary()).isEqualTo("INSUFFICIENT_DATA: 0 of 10 metrics judged");
    }

    @Test
    void aRegressionOnOneMetricIsTheFlagsVerdictWithItsEvidence() {
        Map<String, MetricSample> samples = new HashMap<>();
        samples.put("failure", MetricSample.ratio(spread(200, 50, 2_000), spread(1_800, 50, 900)));
        samples.put("sync-failure", MetricSample.ratio(spread(200, 50, 120), spread(1_800, 50, 900)));
        samples.put(
                "pending-mutations",
                MetricSample.ratio(spread(200, 50, 200 * 50 * 15), spread(1_800, 50, 1_800 * 50 * 5)));
        FlagVerdict v = judgment.judge(samples);
        assertThat(v.status()).isEqualTo(FlagStatus.REGRESSION);
        assertThat(v.isCriticalRegression()).isTrue();
        assertThat(v.regressions())
                .extracting(m -> m.spec().name())
                .containsExactlyInAnyOrder("failure", "pending-mutations");
        assertThat(v.summary()).startsWith("REGRESSION (CRITICAL): ").contains("failure rate 20.0 % vs 1.0 %");
        assertThat(v.metrics()).hasSize(10);
    }

    @Test
    void nonInferiorOnEveryReportedMetricIsHealthy() {
        Map<String, MetricSample> samples = new HashMap<>();
        samples.put("failure", MetricSample.ratio(spread(1_000, 400, 4_000), spread(1_000, 400, 4_000)));
        FlagVerdict v = judgment.judge(samples);
        assertThat(v.status()).isEqualTo(FlagStatus.HEALTHY);
        // A metric only one cohort reports, or that is still short of data, holds promotion back.
        samples.put("sync-failure", MetricSample.ratio(spread(10, 400, 40), spread(1_000, 400, 4_000)));
        assertThat(judgment.judge(samples).status()).isEqualTo(FlagStatus.INCONCLUSIVE);
    }

    @Test
    void healthyIsAnIntersectionUnionTestAtTheWholeAlpha() {
        // Two metrics, each non-inferior with a p-value between the flag's alpha (1 %) and its Bonferroni share
        // (0.1 %): the flag is HEALTHY, and its p-value is the larger of the two, not their sum.
        Map<String, MetricSample> samples = new HashMap<>();
        samples.put("failure", MetricSample.ratio(spread(1_000, 40, 400), spread(1_000, 40, 400)));
        samples.put("sync-failure", MetricSample.ratio(spread(1_000, 40, 400), spread(1_000, 40, 400)));
        FlagVerdict v = judgment.judge(samples);
        double failureP = v.metrics().get(0).nonInferiorityP();
        assertThat(failureP).isBetween(judgment.metricAlpha(), GuardPack.ALPHA);
        assertThat(v.metrics().get(1).nonInferiorityP()).isEqualTo(failureP);
        assertThat(v.status()).isEqualTo(FlagStatus.HEALTHY);
        assertThat(v.nonInferiorityP()).isEqualTo(failureP);
        // Metrics neither cohort reports do not count; one still short of evidence does, with p = 1.
        samples.put("upload-failure", MetricSample.ratio(spread(1_000, 2, 20), spread(1_000, 2, 20)));
        FlagVerdict short_ = judgment.judge(samples);
        assertThat(short_.status()).isEqualTo(FlagStatus.INCONCLUSIVE);
        assertThat(short_.nonInferiorityP()).isGreaterThan(GuardPack.ALPHA);
    }

    @Test
    void theNonInferiorityPValueIsTheMixturesEvidenceAgainstTheMargin() {
        // Worked example: excess -0.003, variance 1e-6, margin 0.003. Lambda(0) = sqrt(1e-6 / 1e-5) *
        // exp(9e-6 * 9e-6 / (2 * 1e-6 * 1e-5)) = 0.31623 * exp(4.05) = 18.150, so p = 1 / 18.150 = 0.05510.
        assertThat(MetricComparison.nonInferiorityP(-0.003, 1e-6, 0.003, 0.05))
                .isCloseTo(0.05510, org.assertj.core.data.Offset.offset(5e-5));
        assertThat(MetricComparison.nonInferiorityP(0.001, 1e-6, 0.003, 0.05)).isEqualTo(1);
        // A zero tolerance falls back to the regression call's scale.
        assertThat(MetricComparison.nonInferiorityP(-0.003, 1e-6, 0, 0.003))
                .isEqualTo(MetricComparison.nonInferiorityP(-0.003, 1e-6, 0.003, 0.05));
    }

    @Test
    void clusteredFailuresInBothCohortsAreNotARegression() {
        FlagVerdict v = judgment.judge(
                Map.of("failure", MetricSample.ratio(clustered(100, 100, 3), clustered(1_900, 100, 19))));
        assertThat(v.status()).isEqualTo(FlagStatus.INCONCLUSIVE);
    }

    @Test
    void specsMustBeUniqueAndAlphasOrdered() {
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> new FlagJudgment(List.of(GuardPack.FAILURE, GuardPack.FAILURE), 0.01, 0.05))
                .isInstanceOf(IllegalArgumentException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new FlagJudgment(GuardPack.DEFAULT, 0.05, 0.01))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
