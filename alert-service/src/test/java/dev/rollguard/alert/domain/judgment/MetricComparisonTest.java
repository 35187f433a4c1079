package dev.rollguard.alert.domain.judgment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** One metric's verdict: the calls, the degenerate cases, the ladder's rung and the evidence it carries. */
class MetricComparisonTest {

    private static final double ALPHA = 0.001;
    private static final double WARNING_ALPHA = 0.005;

    /** {@code clients} clients with {@code events} events each, {@code failingClients} of them failing every event. */
    static CohortMoments clustered(int clients, int events, int failingClients) {
        CohortMoments m = CohortMoments.EMPTY;
        for (int i = 0; i < clients; i++) {
            m = m.plus(CohortMoments.ofClient(i < failingClients ? events : 0, events));
        }
        return m;
    }

    /** {@code clients} clients with {@code events} events each, failures spread as evenly as possible. */
    static CohortMoments spread(int clients, int events, int failures) {
        CohortMoments m = CohortMoments.EMPTY;
        for (int i = 0; i < clients; i++) {
            int y = failures / clients + (i < failures % clients ? 1 : 0);
            m = m.plus(CohortMoments.ofClient(y, events));
        }
        return m;
    }

    private static MetricVerdict failure(CohortMoments treatment, CohortMoments control) {
        return MetricComparison.compare(
                GuardPack.FAILURE, MetricSample.ratio(treatment, control), ALPHA, WARNING_ALPHA);
    }

    @Test
    void threePercentAgainstOnePercentOnManyClientsIsACriticalRegression() {
        MetricVerdict v = failure(spread(2_000, 20, 1_200), spread(2_000, 20, 400));
        assertThat(v.status()).isEqualTo(MetricStatus.REGRESSION);
        assertThat(v.severity()).isEqualTo(Severity.CRITICAL);
        assertThat(v.treated()).isCloseTo(0.03, within(1e-12));
        assertThat(v.control()).isCloseTo(0.01, within(1e-12));
        assertThat(v.relativeEffect()).isCloseTo(2.0, within(1e-9));
        assertThat(v.relativeInterval().contains(2.0)).isTrue();
        assertThat(v.relativeInterval().lower()).isGreaterThan(GuardPack.RELATIVE_TOLERANCE);
        assertThat(v.tolerated()).isCloseTo(1.2 * 0.01 + 0.001, within(1e-12));
        assertThat(v.excessInterval().lower()).isPositive();
        assertThat(v.evidenceFraction()).isGreaterThanOrEqualTo(1);
        assertThat(v.treatedClients()).isEqualTo(2_000);
        assertThat(v.controlEvents()).isEqualTo(40_000);
        assertThat(v.confidence()).isEqualTo(1 - ALPHA);
        assertThat(v.method()).isEqualTo(MetricComparison.METHOD);
    }

    @Test
    void theSameFailuresOnAFewClientsAreNotEvidence() {
        // 3 % against 1 % again, but every treated failure comes from 6 clients that fail everything.
        MetricVerdict v = failure(clustered(200, 100, 6), spread(2_000, 100, 2_000));
        assertThat(v.treated()).isCloseTo(0.03, within(1e-12));
        assertThat(v.status()).isEqualTo(MetricStatus.INCONCLUSIVE);
        assertThat(v.evidenceFraction()).isLessThan(1);
    }

    @Test
    void withinTheToleranceOnManyEventsIsNonInferior() {
        MetricVerdict v = failure(spread(2_000, 500, 10_000), spread(2_000, 500, 10_000));
        assertThat(v.status()).isEqualTo(MetricStatus.NON_INFERIOR);
        assertThat(v.excessInterval().upper()).isNegative();
        assertThat(v.nonInferiorityFraction(ALPHA)).isGreaterThanOrEqualTo(1);
        assertThat(v.nonInferiorityP()).isLessThanOrEqualTo(ALPHA);
        assertThat(v.evidenceFraction()).isZero();
    }

    @Test
    void noFailureInEitherCohortIsNeitherARegressionNorACrash() {
        // Zero variance in both cohorts: the variance floor of one event keeps the interval honest.
        MetricVerdict few = failure(spread(30, 3, 0), spread(30, 3, 0));
        assertThat(few.status()).isEqualTo(MetricStatus.INCONCLUSIVE);
        assertThat(few.excessInterval().isDefined()).isTrue();
        MetricVerdict many = failure(spread(2_000, 50, 0), spread(2_000, 50, 0));
        assertThat(many.status()).isEqualTo(MetricStatus.NON_INFERIOR);
        assertThat(many.relativeEffect()).isNaN();
    }

    @Test
    void zeroToFivePercentIsARegressionDrivenByTheAbsoluteTolerance() {
        MetricVerdict v = failure(spread(200, 20, 200), spread(2_000, 20, 0));
        assertThat(v.control()).isZero();
        assertThat(v.treated()).isCloseTo(0.05, within(1e-12));
        assertThat(v.status()).isEqualTo(MetricStatus.REGRESSION);
        assertThat(v.relativeInterval().isDefined()).isFalse();
        assertThat(v.summary()).contains("+5.0 pts");
        // Without any absolute tolerance too: the control's zero leaves a margin of zero.
        MetricSpec relativeOnly = GuardPack.FAILURE.withTolerances(0.2, 0);
        MetricVerdict strict = MetricComparison.compare(
                relativeOnly, MetricSample.ratio(spread(200, 20, 200), spread(2_000, 20, 0)), ALPHA, WARNING_ALPHA);
        assertThat(strict.status()).isEqualTo(MetricStatus.REGRESSION);
        // One client failing everything in an otherwise clean treatment is not enough.
        assertThat(failure(clustered(200, 20, 1), spread(2_000, 20, 0)).status())
                .isEqualTo(MetricStatus.INCONCLUSIVE);
    }

    @Test
    void tooLittleDataIsAStateNotAVerdict() {
        assertThat(failure(CohortMoments.EMPTY, spread(2_000, 20, 400)).status())
                .isEqualTo(MetricStatus.NO_DATA);
        assertThat(failure(CohortMoments.ofClient(50, 50), spread(2_000, 20, 400))
                        .status())
                .isEqualTo(MetricStatus.INSUFFICIENT_DATA);
        assertThat(failure(spread(19, 20, 19 * 20), spread(2_000, 20, 400)).status())
                .isEqualTo(MetricStatus.INSUFFICIENT_DATA);
        assertThat(failure(spread(40, 1, 40), spread(2_000, 20, 400)).status())
                .as("40 events, below the minimum of 50")
                .isEqualTo(MetricStatus.INSUFFICIENT_DATA);
    }

    @Test
    void aMildRegressionWarnsBeforeItIsCritical() {
        // Grow the stage until the warning level is reached: it comes no later than the critical one.
        int firstWarning = -1;
        int firstCritical = -1;
        for (int events = 2; events <= 200 && firstCritical < 0; events++) {
            MetricVerdict v = failure(spread(300, events, 3 * events * 3), spread(3_000, events, 3_000 * events / 100));
            if (v.severity() == Severity.WARNING && firstWarning < 0) {
                firstWarning = events;
            }
            if (v.severity() == Severity.CRITICAL) {
                firstCritical = events;
            }
        }
        assertThat(firstWarning).isPositive();
        assertThat(firstCritical).isGreaterThan(firstWarning);
    }

    @Test
    void lowerIsWorseMeansMirrorTheTolerance() {
        MetricSpec successRate = new MetricSpec(
                "success",
                "success rate",
                MetricKind.PROPORTION,
                Direction.LOWER_IS_WORSE,
                MetricUnit.FRACTION,
                0.02,
                0,
                20,
                50,
                0.05,
                List.of(),
                0);
        MetricVerdict v = MetricComparison.compare(
                successRate,
                MetricSample.ratio(spread(1_000, 50, 45_000), spread(1_000, 50, 49_500)),
                ALPHA,
                WARNING_ALPHA);
        assertThat(v.tolerated()).isCloseTo(0.98 * 0.99, within(1e-12));
        assertThat(v.status()).isEqualTo(MetricStatus.REGRESSION);
        assertThat(v.excess()).isCloseTo(0.98 * 0.99 - 0.9, within(1e-12));
    }

    /** Per-rung moments of clients whose events exceed each threshold with the given shares. */
    private static List<CohortMoments> ladder(List<Double> shares, int clients, int events) {
        List<CohortMoments> rungs = new ArrayList<>();
        for (double share : shares) {
            rungs.add(spread(clients, events, (int) Math.round(share * clients * events)));
        }
        return rungs;
    }

    @Test
    void theLadderIsComparedAtTheControlsP95() {
        List<Double> thresholds = List.of(1_000.0, 2_000.0, 4_000.0, 8_000.0, 16_000.0, 32_000.0);
        MetricSpec spec = MetricSpec.tailLadder(
                "sync-duration", "sync duration", Direction.HIGHER_IS_WORSE, MetricUnit.MILLISECONDS, thresholds);
        List<Double> controlShares = List.of(0.40, 0.10, 0.04, 0.01, 0.0, 0.0);
        List<Double> treatedShares = List.of(0.90, 0.80, 0.60, 0.30, 0.10, 0.02);
        MetricVerdict v = MetricComparison.compare(
                spec,
                MetricSample.ladder(ladder(treatedShares, 212, 50), ladder(controlShares, 1_788, 50)),
                ALPHA,
                WARNING_ALPHA);
        assertThat(v.threshold()).isEqualTo(4_000.0);
        assertThat(v.treated()).isCloseTo(0.60, within(1e-3));
        assertThat(v.control()).isCloseTo(0.04, within(1e-3));
        // p95 of control between 2 s (10 %) and 4 s (4 %): log-interpolated at 5/6 of the way, 3.56 s.
        assertThat(v.controlQuantile()).isCloseTo(Math.exp(Math.log(2_000) + 5.0 / 6 * Math.log(2)), within(1.0));
        assertThat(v.treatedQuantile()).isBetween(16_000.0, 32_000.0);
        assertThat(v.status()).isEqualTo(MetricStatus.REGRESSION);
        assertThat(v.summary())
                .startsWith("sync duration p95 ")
                .contains("s vs 3.56 s; events above 4.0 s: 60.0 % vs 4.0 %, +1 400 %, 99.9 % interval [+")
                .doesNotContain("interval [+1 39")
                .contains("212 vs 1 788 clients");
    }

    @Test
    void theThroughputLadderIsComparedAtTheControlsP5() {
        List<Double> thresholds = List.of(100_000.0, 200_000.0, 400_000.0, 800_000.0);
        MetricSpec spec = MetricSpec.tailLadder(
                "upload-throughput",
                "upload throughput",
                Direction.LOWER_IS_WORSE,
                MetricUnit.BYTES_PER_SECOND,
                thresholds);
        List<Double> control = List.of(0.01, 0.03, 0.20, 0.60);
        MetricVerdict v = MetricComparison.compare(
                spec, MetricSample.ladder(ladder(control, 500, 20), ladder(control, 500, 20)), ALPHA, WARNING_ALPHA);
        assertThat(v.threshold()).isEqualTo(200_000.0);
        assertThat(v.status()).isIn(MetricStatus.INCONCLUSIVE, MetricStatus.NON_INFERIOR);
        assertThat(v.summary()).startsWith("upload throughput p5 ").contains("events below 200 kB/s");
    }

    /** Shares beyond each rung of the default sync-duration ladder: the given first rungs, nothing beyond the rest. */
    private static List<Double> durationShares(double... firstRungs) {
        List<Double> shares = new ArrayList<>();
        for (int k = 0; k < GuardPack.SYNC_DURATION_LADDER_MS.size(); k++) {
            shares.add(k < firstRungs.length ? firstRungs[k] : 0.0);
        }
        return shares;
    }

    private static MetricVerdict syncDuration(List<Double> treated, int treatedClients, List<Double> control) {
        return MetricComparison.compare(
                GuardPack.SYNC_DURATION,
                MetricSample.ladder(ladder(treated, treatedClients, 50), ladder(control, 2_000, 50)),
                ALPHA,
                WARNING_ALPHA);
    }

    @Test
    void aFewSlowTreatedSyncsAgainstAControlWithinTheLaddersFirstRungAreNoRegression() {
        // Every control sync is at most 100 ms, the ladder's first rung: its p95 lies before the ladder. 0.5 % of the
        // treatment's syncs take 150 ms (beyond the rungs 100 ms and 141 ms): its p95 is still at most 100 ms.
        MetricVerdict blip = syncDuration(durationShares(0.005, 0.005), 1_000, durationShares());
        assertThat(blip.status()).isNotEqualTo(MetricStatus.REGRESSION);
        assertThat(blip.severity()).isEqualTo(Severity.NONE);
        assertThat(blip.threshold()).isEqualTo(100.0);
        assertThat(blip.tolerated()).isEqualTo(GuardPack.TAIL_SHARE);
        assertThat(blip.summary())
                .startsWith("sync duration p95 at most 100 ms vs at most 100 ms; events above 100 ms");
        // Nor is the flag, judged on sync durations alone at the default alpha: no CRITICAL for the guard to act on.
        FlagJudgment durationsOnly = new FlagJudgment(List.of(GuardPack.SYNC_DURATION), GuardPack.ALPHA, 0.05);
        FlagVerdict flag = durationsOnly.judge(java.util.Map.of(
                GuardPack.SYNC_DURATION.name(),
                MetricSample.ladder(
                        ladder(durationShares(0.005, 0.005), 1_000, 50), ladder(durationShares(), 2_000, 50))));
        assertThat(flag.isCriticalRegression()).isFalse();
        assertThat(flag.status()).isNotEqualTo(FlagStatus.REGRESSION);
        // A treatment whose own p95 leaves the first rung is still a regression: 30 % of its syncs beyond 100 ms.
        MetricVerdict slow = syncDuration(durationShares(0.30, 0.30, 0.10), 1_000, durationShares());
        assertThat(slow.status()).isEqualTo(MetricStatus.REGRESSION);
        assertThat(slow.severity()).isEqualTo(Severity.CRITICAL);
        assertThat(slow.summary()).startsWith("sync duration p95 ").contains(" vs at most 100 ms");
    }

    @Test
    void twoCohortsWithinTheLaddersFirstRungAreShownNonInferiorAndTheFlagHealthy() {
        MetricVerdict v = syncDuration(durationShares(), 2_000, durationShares());
        assertThat(v.excess()).isNegative();
        assertThat(v.status()).isEqualTo(MetricStatus.NON_INFERIOR);
        assertThat(v.nonInferiorityP()).isLessThanOrEqualTo(ALPHA);
        // The same through a flag guarding sync durations only: HEALTHY, the promoter's signal, not INCONCLUSIVE.
        FlagJudgment durationsOnly = new FlagJudgment(List.of(GuardPack.SYNC_DURATION), GuardPack.ALPHA, 0.05);
        List<CohortMoments> allFast = ladder(durationShares(), 2_000, 50);
        FlagVerdict flag = durationsOnly.judge(
                java.util.Map.of(GuardPack.SYNC_DURATION.name(), MetricSample.ladder(allFast, allFast)));
        assertThat(flag.status()).isEqualTo(FlagStatus.HEALTHY);
        // And a control with a few syncs beyond the first rung (1 %, its p99 there) is held to the same floor.
        MetricVerdict fewSlow = syncDuration(durationShares(0.04), 1_000, durationShares(0.01));
        assertThat(fewSlow.tolerated()).isEqualTo(GuardPack.TAIL_SHARE);
        assertThat(fewSlow.status()).isNotEqualTo(MetricStatus.REGRESSION);
    }

    @Test
    void aControlTailThatEndsWithinOneRungIsJudgedWithTheAbsoluteTolerance() {
        // 10 % of control syncs take 120 ms, none more: the rung compared, 141 ms, has no control event beyond it, and
        // the margin is the 0.1-point absolute tolerance alone. Identical cohorts are shown non-inferior all the same.
        MetricVerdict same = syncDuration(durationShares(0.10), 2_000, durationShares(0.10));
        assertThat(same.threshold()).isCloseTo(100 * Math.sqrt(2), within(1e-9));
        assertThat(same.control()).isZero();
        assertThat(same.tolerated()).isEqualTo(GuardPack.TAIL_ABSOLUTE_TOLERANCE);
        assertThat(same.status()).isEqualTo(MetricStatus.NON_INFERIOR);
        // Every control sync at 800 ms, every treated one at 2.4 s: a regression, as before.
        List<Double> control = new ArrayList<>();
        List<Double> treated = new ArrayList<>();
        for (double t : GuardPack.SYNC_DURATION_LADDER_MS) {
            control.add(800 > t ? 1.0 : 0.0);
            treated.add(2_400 > t ? 1.0 : 0.0);
        }
        MetricVerdict slow = syncDuration(treated, 1_000, control);
        assertThat(slow.threshold()).isCloseTo(800, within(1e-6));
        assertThat(slow.status()).isEqualTo(MetricStatus.REGRESSION);
        assertThat(slow.severity()).isEqualTo(Severity.CRITICAL);
    }

    @Test
    void aThroughputControlAboveTheLaddersTopIsMirrored() {
        List<Double> thresholds = List.of(100_000.0, 200_000.0, 400_000.0, 800_000.0);
        MetricSpec spec = MetricSpec.tailLadder(
                "upload-throughput",
                "upload throughput",
                Direction.LOWER_IS_WORSE,
                MetricUnit.BYTES_PER_SECOND,
                thresholds);
        // No control upload below 800 kB/s; 0.5 % of the treatment's at 500 kB/s.
        MetricVerdict v = MetricComparison.compare(
                spec,
                MetricSample.ladder(
                        ladder(List.of(0.0, 0.0, 0.0, 0.005), 1_000, 50),
                        ladder(List.of(0.0, 0.0, 0.0, 0.0), 2_000, 50)),
                ALPHA,
                WARNING_ALPHA);
        assertThat(v.threshold()).isEqualTo(800_000.0);
        assertThat(v.status()).isEqualTo(MetricStatus.NON_INFERIOR);
        assertThat(v.summary()).startsWith("upload throughput p5 at least 800 kB/s vs at least 800 kB/s");
    }

    @Test
    void theSummaryReadsLikeTheIssueAsksForAProportion() {
        MetricVerdict v = failure(spread(212, 100, 660), spread(1_788, 100, 1_788));
        assertThat(v.summary())
                .matches("failure rate 3\\.11 % vs 1\\.0 %, \\+211 %, 99\\.9 % interval \\[\\+\\d+ %, "
                        + "\\+\\d+ %\\], 212 vs 1 788 clients, evidence [\\d.]+ of threshold");
    }

    @Test
    void shownWithinIsTheTightestToleranceWhoseOwnTestSaysNonInferior() {
        // For several samples, the metric judged with a relative tolerance r is NON_INFERIOR exactly when r is at least
        // the bound: the bound is each tolerance's own test, read off once.
        List<MetricSample> samples = List.of(
                MetricSample.ratio(spread(1_000, 40, 400), spread(1_000, 40, 400)),
                MetricSample.ratio(spread(100, 30, 45), spread(1_400, 30, 420)),
                MetricSample.ratio(spread(300, 50, 200), spread(3_000, 50, 1_500)));
        List<Double> bounds = new java.util.ArrayList<>();
        for (MetricSample sample : samples) {
            double bound = MetricComparison.compare(GuardPack.FAILURE, sample, ALPHA, WARNING_ALPHA, 0.01)
                    .shownWithin();
            bounds.add(bound);
            for (int percent = 0; percent <= 300; percent += 5) {
                double r = percent / 100.0;
                MetricVerdict v = MetricComparison.compare(
                        GuardPack.FAILURE.withTolerances(r, GuardPack.PROPORTION_ABSOLUTE_TOLERANCE),
                        sample,
                        ALPHA,
                        WARNING_ALPHA,
                        0.01);
                assertThat(v.status() == MetricStatus.NON_INFERIOR)
                        .as("tolerance %s, bound %s", r, bound)
                        .isEqualTo(r >= bound - 1e-9);
            }
        }
        // Equal cohorts on 40 000 events each are shown within a few percent; 100 treated clients with 1.5 % against
        // 1 % are not shown within +20 %, but are within a wider tolerance.
        assertThat(bounds.get(0)).isLessThan(0.2);
        assertThat(bounds.get(1)).isGreaterThan(0.2).isLessThan(3.0);
        // A metric without data has no bound.
        assertThat(MetricComparison.compare(
                                GuardPack.FAILURE,
                                MetricSample.ratio(CohortMoments.EMPTY, spread(100, 5, 5)),
                                ALPHA,
                                WARNING_ALPHA,
                                0.01)
                        .shownWithin())
                .isNaN();
    }
}
