package dev.rollguard.alert.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.ScopeType;
import dev.rollguard.schemas.event.Severity;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The comparative test of treatment against control and the verdict of a comparative rule built on it. */
class TwoProportionComparisonTest {

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private static final RuleDefinition REGRESSION = new RuleDefinition(
            "treatment-error-rate",
            "Treatment error rate worse than control",
            "errorRate",
            RuleComparator.WORSE_THAN_CONTROL,
            null,
            new Level(Severity.CRITICAL, 0.02, Duration.ZERO),
            Duration.ZERO,
            50,
            NoDataPolicy.KEEP_STATE,
            new ScopeSelector(EnumSet.of(ScopeType.FLAG_COHORT), null, Cohort.TREATMENT, null, null, null),
            0.99,
            true,
            Map.of(),
            Map.of(),
            1,
            null);

    private static Verdict verdict(long tBad, long tN, long cBad, long cN) {
        ComparisonResult result =
                TwoProportionComparison.compare(tBad, tN, cBad, cN, (double) tBad / tN, (double) cBad / cN);
        Observation observation =
                new Observation(T0, T0.plusSeconds(60), null, null, result.difference(), Math.min(tN, cN), result);
        return REGRESSION.verdict(REGRESSION.critical(), observation);
    }

    @Test
    void matchesTheTextbookZStatistic() {
        // pT = 0.10, pC = 0.05, n = 1000 each: pooled 0.075, z = 0.05 / sqrt(0.075 * 0.925 * 0.002) = 4.2448
        ComparisonResult result = TwoProportionComparison.compare(100, 1000, 50, 1000, 0.10, 0.05);

        assertThat(result.difference()).isCloseTo(0.05, within(1e-12));
        assertThat(result.pValue()).isCloseTo(1.0941e-5, within(1e-8));
        assertThat(result.method()).isEqualTo("two-proportion-z");
    }

    @Test
    void significantRegressionAboveTheMarginBreaches() {
        assertThat(verdict(100, 1000, 50, 1000)).isEqualTo(Verdict.BREACH);
    }

    @Test
    void largeDifferenceOnSmallCohortsIsNotSignificant() {
        // 3/60 against 1/60: 3.3 points worse, p ~ 0.15
        assertThat(verdict(3, 60, 1, 60)).isEqualTo(Verdict.HEALTHY);
    }

    @Test
    void significantButBelowTheMarginDoesNotBreach() {
        // 1.5 points worse on a million events each: significant, but under the 2-point margin
        assertThat(verdict(25_000, 1_000_000, 10_000, 1_000_000)).isEqualTo(Verdict.HEALTHY);
    }

    @Test
    void globalOutageHittingBothCohortsDoesNotBlameTheFlag() {
        // both cohorts at about 40 % errors: the flag is not at fault
        assertThat(verdict(400, 1000, 395, 1000)).isEqualTo(Verdict.HEALTHY);
        assertThat(verdict(1000, 1000, 1000, 1000)).isEqualTo(Verdict.HEALTHY);
    }

    @Test
    void treatmentBetterThanControlIsHealthy() {
        assertThat(verdict(10, 1000, 100, 1000)).isEqualTo(Verdict.HEALTHY);
    }

    @Test
    void cohortsBelowTheMinimumSampleSizeAreNoData() {
        assertThat(verdict(40, 40, 0, 1000)).isEqualTo(Verdict.NO_DATA);
    }
}
