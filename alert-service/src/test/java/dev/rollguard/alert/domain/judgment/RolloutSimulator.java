package dev.rollguard.alert.domain.judgment;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.commons.math3.distribution.GammaDistribution;
import org.apache.commons.math3.distribution.LogNormalDistribution;
import org.apache.commons.math3.random.RandomGenerator;
import org.apache.commons.math3.random.Well19937c;

/**
 * Simulated rollouts of one flag stage: clients with heterogeneous (gamma-distributed) event rates send telemetry in
 * 5-second windows; each window adds its clients' events to their stage-cumulative numerators and denominators, the
 * cohort moments are recomputed, and the flag is judged after every window, as the alert-service will do.
 *
 * <p>Events are syncs (70 %) or uploads (30 %). Every event can fail; a share of clients can be set to fail every event
 * in both cohorts (failures clustered on devices). Syncs report a duration (lognormal, median 800 ms, with a per-client
 * device factor), pending and failed mutations and the sync queue length (Poisson around gamma-distributed per-client
 * means: 5, 0.2 and 3), and storage used (a per-client level); uploads report a throughput (lognormal, median 1 MB/s)
 * and whether the quota was exceeded (0.5 %). The treatment's effects are present from the stage's first window: the
 * treatment is the change.
 */
final class RolloutSimulator {

    /** What is simulated. Factors multiply the treatment's values; 1 means no effect. */
    record Scenario(
            int clients,
            double eventsPerSecond,
            double windowSeconds,
            double rollout,
            int windows,
            double controlFailure,
            double treatedFailure,
            double clusteredShare,
            double durationFactor,
            double pendingFactor,
            double throughputFactor) {

        static Scenario healthy(double rollout) {
            return new Scenario(2_000, 400, 5, rollout, 60, 0.01, 0.01, 0, 1, 1, 1);
        }

        Scenario withFailure(double treated) {
            return new Scenario(
                    clients,
                    eventsPerSecond,
                    windowSeconds,
                    rollout,
                    windows,
                    controlFailure,
                    treated,
                    clusteredShare,
                    durationFactor,
                    pendingFactor,
                    throughputFactor);
        }

        Scenario withClusteredShare(double share) {
            return new Scenario(
                    clients,
                    eventsPerSecond,
                    windowSeconds,
                    rollout,
                    windows,
                    controlFailure,
                    treatedFailure,
                    share,
                    durationFactor,
                    pendingFactor,
                    throughputFactor);
        }

        Scenario withFactors(double duration, double pending, double throughput) {
            return new Scenario(
                    clients,
                    eventsPerSecond,
                    windowSeconds,
                    rollout,
                    windows,
                    controlFailure,
                    treatedFailure,
                    clusteredShare,
                    duration,
                    pending,
                    throughput);
        }

        Scenario withTraffic(double perSecond) {
            return new Scenario(
                    clients,
                    perSecond,
                    windowSeconds,
                    rollout,
                    windows,
                    controlFailure,
                    treatedFailure,
                    clusteredShare,
                    durationFactor,
                    pendingFactor,
                    throughputFactor);
        }

        Scenario withRollout(double share) {
            return new Scenario(
                    clients,
                    eventsPerSecond,
                    windowSeconds,
                    share,
                    windows,
                    controlFailure,
                    treatedFailure,
                    clusteredShare,
                    durationFactor,
                    pendingFactor,
                    throughputFactor);
        }

        Scenario withWindows(int count) {
            return new Scenario(
                    clients,
                    eventsPerSecond,
                    windowSeconds,
                    rollout,
                    count,
                    controlFailure,
                    treatedFailure,
                    clusteredShare,
                    durationFactor,
                    pendingFactor,
                    throughputFactor);
        }
    }

    /**
     * One rollout's outcome: per metric, the first window (1-based) that judged it a critical regression, 0 if none;
     * the same for the flag; and the first window at which an event-unit test of the failure rate (binomial variance,
     * same boundary) called a regression, 0 if none; and the first window the flag was HEALTHY (non-inferior on every
     * metric), 0 if never; and the first window at which the caller's own per-window check called a regression, 0 if
     * none (or without one).
     */
    record Outcome(
            int flagWindow,
            Map<String, Integer> metricWindows,
            int eventUnitFailureWindow,
            int healthyWindow,
            int checkWindow) {}

    /** A test of one window's stage-cumulative samples besides the guard's, e.g. a naive fixed-sample z-test. */
    @FunctionalInterface
    interface WindowCheck {
        boolean callsRegression(Map<String, MetricSample> samples);
    }

    private static final String[] RATIO_METRICS = {
        "failure",
        "sync-failure",
        "upload-failure",
        "quota-exceeded",
        "pending-mutations",
        "failed-mutations",
        "sync-queue-length",
        "storage-used-pct"
    };
    private static final int FAILURE = 0;
    private static final int SYNC_FAILURE = 1;
    private static final int UPLOAD_FAILURE = 2;
    private static final int QUOTA = 3;
    private static final int PENDING = 4;
    private static final int FAILED_MUTATIONS = 5;
    private static final int QUEUE = 6;
    private static final int STORAGE = 7;
    private static final double SYNC_SHARE = 0.7;
    private static final double QUOTA_SHARE = 0.005;

    private final FlagJudgment judgment;
    private final boolean[] judged = new boolean[RATIO_METRICS.length];
    private final MetricSpec syncDuration;
    private final MetricSpec uploadThroughput;

    /** Simulates the metrics that {@code judgment} guards (only those, to keep runs fast). */
    RolloutSimulator(FlagJudgment judgment) {
        this.judgment = judgment;
        for (int m = 0; m < RATIO_METRICS.length; m++) {
            judged[m] = spec(judgment, RATIO_METRICS[m]) != null;
        }
        this.syncDuration = spec(judgment, GuardPack.SYNC_DURATION.name());
        this.uploadThroughput = spec(judgment, GuardPack.UPLOAD_THROUGHPUT.name());
    }

    private static MetricSpec spec(FlagJudgment judgment, String name) {
        return judgment.specs().stream()
                .filter(s -> s.name().equals(name))
                .findFirst()
                .orElse(null);
    }

    /** Simulates one rollout from its seed and judges it after every window until the end or a critical call. */
    Outcome run(Scenario scenario, long seed, boolean stopAtFirstCall) {
        return run(scenario, seed, stopAtFirstCall, samples -> false);
    }

    /** {@link #run(Scenario, long, boolean)} with {@code check} applied to the same samples after every window. */
    Outcome run(Scenario scenario, long seed, boolean stopAtFirstCall, WindowCheck check) {
        int n = scenario.clients();
        RandomGenerator setup = new Well19937c(seed);
        SplittableRandom random = new SplittableRandom(seed * 31 + 17);
        double meanRate = scenario.eventsPerSecond() / n;
        GammaDistribution rates = new GammaDistribution(setup, 1.0, meanRate);
        GammaDistribution pendingMeans = new GammaDistribution(setup, 2.0, 2.5);
        GammaDistribution failedMeans = new GammaDistribution(setup, 0.5, 0.4);
        GammaDistribution queueMeans = new GammaDistribution(setup, 2.0, 1.5);
        LogNormalDistribution device = new LogNormalDistribution(setup, 0, 0.5);
        double[] cumulative = new double[n];
        boolean[] treated = new boolean[n];
        boolean[] failing = new boolean[n];
        double[] expPending = new double[n];
        double[] expFailed = new double[n];
        double[] expQueue = new double[n];
        double[] storage = new double[n];
        double[] logDuration = new double[n];
        double[] logThroughput = new double[n];
        double total = 0;
        for (int i = 0; i < n; i++) {
            total += rates.sample();
            cumulative[i] = total;
            treated[i] = setup.nextDouble() < scenario.rollout();
            failing[i] = setup.nextDouble() < scenario.clusteredShare();
            double factor = treated[i] ? scenario.pendingFactor() : 1;
            expPending[i] = Math.exp(-pendingMeans.sample() * factor);
            expFailed[i] = Math.exp(-failedMeans.sample());
            expQueue[i] = Math.exp(-queueMeans.sample());
            storage[i] = 20 + 60 * setup.nextDouble();
            logDuration[i] = Math.log(800 * device.sample() * (treated[i] ? scenario.durationFactor() : 1));
            logThroughput[i] = Math.log(1e6 / device.sample() * (treated[i] ? scenario.throughputFactor() : 1));
        }

        Cohorts ratio = new Cohorts(RATIO_METRICS.length, n);
        LadderCohorts durations = syncDuration == null ? null : new LadderCohorts(syncDuration.ladder(), n);
        LadderCohorts throughputs = uploadThroughput == null ? null : new LadderCohorts(uploadThroughput.ladder(), n);
        int eventsPerWindow = (int) Math.round(scenario.eventsPerSecond() * scenario.windowSeconds());
        Map<String, Integer> metricWindows = new HashMap<>();
        int flagWindow = 0;
        int eventUnitWindow = 0;
        int healthyWindow = 0;
        int checkWindow = 0;
        for (int window = 1; window <= scenario.windows(); window++) {
            for (int e = 0; e < eventsPerWindow; e++) {
                int i = Arrays.binarySearch(cumulative, random.nextDouble() * total);
                i = i < 0 ? Math.min(-i - 1, n - 1) : i;
                double p = treated[i] ? scenario.treatedFailure() : scenario.controlFailure();
                int failed = failing[i] || random.nextDouble() < p ? 1 : 0;
                ratio.event(i, FAILURE, failed);
                if (random.nextDouble() < SYNC_SHARE) {
                    ratio.event(i, SYNC_FAILURE, failed);
                    if (judged[PENDING]) {
                        ratio.event(i, PENDING, poisson(random, expPending[i]));
                        ratio.event(i, FAILED_MUTATIONS, poisson(random, expFailed[i]));
                        ratio.event(i, QUEUE, poisson(random, expQueue[i]));
                        ratio.event(i, STORAGE, storage[i] + 2 * random.nextDouble() - 1);
                    }
                    if (durations != null) {
                        durations.event(i, Math.exp(logDuration[i] + random.nextGaussian()), true);
                    }
                } else {
                    ratio.event(i, UPLOAD_FAILURE, failed);
                    ratio.event(i, QUOTA, random.nextDouble() < QUOTA_SHARE ? 1 : 0);
                    if (throughputs != null) {
                        throughputs.event(i, Math.exp(logThroughput[i] + 0.8 * random.nextGaussian()), false);
                    }
                }
            }
            ratio.closeWindow(treated);
            if (durations != null) {
                durations.closeWindow(treated);
            }
            if (throughputs != null) {
                throughputs.closeWindow(treated);
            }

            Map<String, MetricSample> samples = new HashMap<>();
            for (int m = 0; m < RATIO_METRICS.length; m++) {
                if (!judged[m]) {
                    continue;
                }
                samples.put(RATIO_METRICS[m], MetricSample.ratio(ratio.moments(true, m), ratio.moments(false, m)));
            }
            if (durations != null) {
                samples.put(syncDuration.name(), durations.sample());
            }
            if (throughputs != null) {
                samples.put(uploadThroughput.name(), throughputs.sample());
            }
            FlagVerdict verdict = judgment.judge(samples);
            for (MetricVerdict v : verdict.metrics()) {
                if (v.severity() == Severity.CRITICAL) {
                    metricWindows.putIfAbsent(v.spec().name(), window);
                }
            }
            if (verdict.isCriticalRegression() && flagWindow == 0) {
                flagWindow = window;
            }
            if (verdict.status() == FlagStatus.HEALTHY && healthyWindow == 0) {
                healthyWindow = window;
            }
            if (eventUnitWindow == 0
                    && eventUnitRegression(ratio.moments(true, FAILURE), ratio.moments(false, FAILURE))) {
                eventUnitWindow = window;
            }
            if (checkWindow == 0 && check.callsRegression(samples)) {
                checkWindow = window;
            }
            if (stopAtFirstCall && flagWindow > 0) {
                break;
            }
        }
        return new Outcome(flagWindow, metricWindows, eventUnitWindow, healthyWindow, checkWindow);
    }

    /**
     * The same confidence sequence on the failure rate with the event as the unit (binomial variance
     * {@code R (1 - R) / events}): what a test that ignores clients would call.
     */
    private boolean eventUnitRegression(CohortMoments treatment, CohortMoments control) {
        MetricSpec spec = GuardPack.FAILURE;
        if (treatment.clients() < spec.minimumClients()
                || control.clients() < spec.minimumClients()
                || treatment.sumX() < spec.minimumDenominator()
                || control.sumX() < spec.minimumDenominator()) {
            return false;
        }
        double rT = treatment.ratio();
        double rC = control.ratio();
        double vT = Math.max(rT * (1 - rT), 1 / treatment.sumX()) / treatment.sumX();
        double vC = Math.max(rC * (1 - rC), 1 / control.sumX()) / control.sumX();
        double w = 1 + spec.relativeTolerance();
        double excess = rT - spec.tolerated(rC);
        double tau = Math.max(GuardPack.MIXTURE_SCALE_RELATIVE * rC, spec.mixtureScaleFloor());
        return excess - NormalMixtureBoundary.halfWidth(vT + w * w * vC, tau, judgment.metricAlpha()) > 0;
    }

    /** Poisson variate by multiplying uniforms (Knuth), given {@code exp(-mean)}; means here are small. */
    private static int poisson(SplittableRandom random, double expMinusMean) {
        int k = 0;
        double product = random.nextDouble();
        while (product > expMinusMean) {
            k++;
            product *= random.nextDouble();
        }
        return k;
    }

    /** Stage-cumulative per-client numerators and denominators of ratio metrics, and their cohort sums. */
    private static final class Cohorts {
        private final int metrics;
        private final double[][] y;
        private final double[][] x;
        private final double[][] windowY;
        private final double[][] windowX;
        private final boolean[] active;
        private final List<Integer> activeClients = new ArrayList<>();
        /** [cohort][metric][clients, sumY, sumX, sumYY, sumXX, sumXY]. */
        private final double[][][] sums;

        Cohorts(int metrics, int clients) {
            this.metrics = metrics;
            y = new double[clients][metrics];
            x = new double[clients][metrics];
            windowY = new double[clients][metrics];
            windowX = new double[clients][metrics];
            active = new boolean[clients];
            sums = new double[2][metrics][6];
        }

        void event(int client, int metric, double value) {
            windowY[client][metric] += value;
            windowX[client][metric] += 1;
            if (!active[client]) {
                active[client] = true;
                activeClients.add(client);
            }
        }

        void closeWindow(boolean[] treated) {
            for (int i : activeClients) {
                double[][] cohort = sums[treated[i] ? 0 : 1];
                double[] wx = windowX[i];
                double[] wy = windowY[i];
                double[] cx = x[i];
                double[] cy = y[i];
                for (int m = 0; m < metrics; m++) {
                    double dx = wx[m];
                    if (dx == 0) {
                        continue;
                    }
                    double dy = wy[m];
                    double x0 = cx[m];
                    double y0 = cy[m];
                    double x1 = x0 + dx;
                    double y1 = y0 + dy;
                    double[] s = cohort[m];
                    s[0] += x0 == 0 ? 1 : 0;
                    s[1] += dy;
                    s[2] += dx;
                    s[3] += y1 * y1 - y0 * y0;
                    s[4] += x1 * x1 - x0 * x0;
                    s[5] += x1 * y1 - x0 * y0;
                    cx[m] = x1;
                    cy[m] = y1;
                    wx[m] = 0;
                    wy[m] = 0;
                }
                active[i] = false;
            }
            activeClients.clear();
        }

        CohortMoments moments(boolean treatment, int metric) {
            double[] s = sums[treatment ? 0 : 1][metric];
            return new CohortMoments((long) s[0], s[1], s[2], s[3], s[4], s[5]);
        }
    }

    /**
     * Stage-cumulative per-client counts of a tail ladder. {@code Y_ik} counts the client's events beyond rung
     * {@code k}: above it for durations, below it for throughput.
     */
    private static final class LadderCohorts {
        private final double[] logThresholds;
        private final double logStep;
        private final int rungs;
        private final double[][] y;
        private final double[] x;
        /** Per client, events of this window per bucket: bucket b holds events beyond exactly the rungs below b. */
        private final int[][] window;

        private final int[] deepest;
        private final boolean[] active;
        private final List<Integer> activeClients = new ArrayList<>();
        private boolean lowTail;
        private final double[][] shared = new double[2][3];
        private final double[][][] perRung;

        LadderCohorts(List<Double> thresholds, int clients) {
            rungs = thresholds.size();
            logThresholds = thresholds.stream().mapToDouble(Math::log).toArray();
            logStep = (logThresholds[rungs - 1] - logThresholds[0]) / (rungs - 1);
            y = new double[clients][rungs];
            x = new double[clients];
            window = new int[clients][rungs + 1];
            deepest = new int[clients];
            active = new boolean[clients];
            perRung = new double[2][rungs][3];
        }

        /** Adds one measurement; {@code highTail}: durations (beyond = above), otherwise throughput (beyond = below). */
        void event(int client, double value, boolean highTail) {
            lowTail = !highTail;
            double log = Math.log(value);
            // Rungs strictly below the value (the ladder is geometric, so this is an index computation).
            int below = (int) Math.floor((log - logThresholds[0]) / logStep) + 1;
            below = Math.max(0, Math.min(rungs, below));
            while (below > 0 && logThresholds[below - 1] >= log) {
                below--;
            }
            while (below < rungs && logThresholds[below] < log) {
                below++;
            }
            // For a high tail the event is beyond rungs 0 .. below-1; for a low tail beyond rungs below .. rungs-1,
            // stored mirrored so that "beyond the first b rungs" holds for both.
            window[client][highTail ? below : rungs - below]++;
            if (!active[client]) {
                active[client] = true;
                activeClients.add(client);
            }
        }

        void closeWindow(boolean[] treated) {
            for (int i : activeClients) {
                int cohort = treated[i] ? 0 : 1;
                int[] buckets = window[i];
                double dx = 0;
                int deepestNow = 0;
                for (int b = 0; b <= rungs; b++) {
                    dx += buckets[b];
                    if (buckets[b] > 0) {
                        deepestNow = b;
                    }
                }
                deepest[i] = Math.max(deepest[i], deepestNow);
                double x0 = x[i];
                double x1 = x0 + dx;
                double[] s = shared[cohort];
                s[0] += x0 == 0 ? 1 : 0;
                s[1] += dx;
                s[2] += x1 * x1 - x0 * x0;
                x[i] = x1;
                // Mirrored rung j: events in buckets above j are beyond it.
                double beyond = 0;
                for (int b = rungs; b > deepest[i]; b--) {
                    beyond += buckets[b];
                }
                double[] cy = y[i];
                double[][] rungSums = perRung[cohort];
                for (int j = deepest[i] - 1; j >= 0; j--) {
                    beyond += buckets[j + 1];
                    double y0 = cy[j];
                    double y1 = y0 + beyond;
                    double[] r = rungSums[j];
                    r[0] += beyond;
                    r[1] += y1 * y1 - y0 * y0;
                    r[2] += x1 * y1 - x0 * y0;
                    cy[j] = y1;
                }
                Arrays.fill(buckets, 0);
                active[i] = false;
            }
            activeClients.clear();
        }

        MetricSample sample() {
            return MetricSample.ladder(cohort(0), cohort(1));
        }

        private List<CohortMoments> cohort(int cohort) {
            double[] s = shared[cohort];
            CohortMoments[] moments = new CohortMoments[rungs];
            for (int j = 0; j < rungs; j++) {
                double[] r = perRung[cohort][j];
                int k = lowTail ? rungs - 1 - j : j;
                moments[k] = new CohortMoments((long) s[0], r[0], s[1], r[1], s[2], r[2]);
            }
            return List.of(moments);
        }
    }
}
