package dev.rollguard.alert.domain.judgment;

import dev.rollguard.alert.domain.judgment.RolloutSimulator.Outcome;
import dev.rollguard.alert.domain.judgment.RolloutSimulator.Scenario;
import dev.rollguard.infra.ResultsFile;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;

/**
 * Writes the guard's simulated false-alarm rates and detection windows (against traffic and effect size, per metric
 * kind) to a results file, replacing its section "Last run" and keeping the file's other sections. A benchmark, not a
 * test: run it on demand (see alert-service/README.md).
 */
public final class GuardJudgmentBench {

    private static final String LAST_RUN = "Last run";
    private static final String OPENING =
            """
            # The guard's judgment: simulated false alarms and detection

            Written by `GuardJudgmentBench` (alert-service test scope; alert-service/README.md, "Simulation"): a run
            replaces the section "Last run"; every other section is kept as it is.
            """;

    private static final int RUNS = Integer.getInteger("bench.runs", 200);
    private static final int HEALTHY_RUNS = Integer.getInteger("bench.healthy-runs", 1_000);
    private static final double[] ROLLOUTS = {0.05, 0.10, 0.20, 0.50};

    private GuardJudgmentBench() {}

    public static void main(String[] args) throws IOException {
        Path out = Path.of(args.length > 0 ? args[0] : "bench/results/guard-judgment.md");
        long started = System.nanoTime();
        RolloutSimulator full = new RolloutSimulator(FlagJudgment.defaultGuard());
        StringBuilder md = new StringBuilder();
        md.append("Generated ")
                .append(Instant.now().truncatedTo(ChronoUnit.SECONDS))
                .append(" by `GuardJudgmentBench` (alert-service test scope), Java ")
                .append(System.getProperty("java.version"))
                .append(", ")
                .append(Runtime.getRuntime().availableProcessors())
                .append(" cores.\n\n")
                .append("Simulator: 2 000 clients with gamma(1)-distributed event rates, 5-second windows, clients ")
                .append("randomized to treatment at the rollout %, stage-cumulative client moments judged after every ")
                .append("window by the default guard pack (10 metrics, flag alpha 1 %, 0.1 % per metric). ")
                .append("Baselines: failures 1 % of events, sync durations lognormal (median 800 ms, sigma 1, device ")
                .append("factor lognormal sigma 0.5), pending mutations Poisson around gamma(2) client means of 5. ")
                .append("The treatment's effect is present from the stage's first window.\n\n");

        md.append("### False alarms (healthy rollouts, 60 windows each, rollouts 5/10/20/50 % in turn)\n\n")
                .append(
                        "| scenario | rollouts | flag called REGRESSION (any metric) | event-unit failure-rate test |\n")
                .append("| --- | --- | --- | --- |\n");
        for (double clustered : new double[] {0, 0.01}) {
            Outcome[] outcomes = IntStream.range(0, HEALTHY_RUNS)
                    .parallel()
                    .mapToObj(run -> full.run(
                            Scenario.healthy(ROLLOUTS[run % ROLLOUTS.length]).withClusteredShare(clustered),
                            90_000 + run,
                            false))
                    .toArray(Outcome[]::new);
            long alarms =
                    Arrays.stream(outcomes).filter(o -> o.flagWindow() > 0).count();
            long eventUnit = Arrays.stream(outcomes)
                    .filter(o -> o.eventUnitFailureWindow() > 0)
                    .count();
            md.append(String.format(
                    Locale.ROOT,
                    "| %s | %d | %d (%.1f %%) | %d (%.1f %%) |%n",
                    clustered > 0 ? "1 % of clients fail every event, both cohorts" : "healthy",
                    HEALTHY_RUNS,
                    alarms,
                    100.0 * alarms / HEALTHY_RUNS,
                    eventUnit,
                    100.0 * eventUnit / HEALTHY_RUNS));
        }

        md.append("\n### Detection (")
                .append(RUNS)
                .append(" rollouts per row; windows counted from the stage's start, 60 at most)\n\n")
                .append("| metric kind | change | rollout | events/s | median windows | p90 windows | ")
                .append("detected within target | detected within 60 |\n")
                .append("| --- | --- | --- | --- | --- | --- | --- | --- |\n");
        Scenario base = Scenario.healthy(0.05);
        for (double traffic : new double[] {100, 400, 1_600}) {
            for (double treated : new double[] {0.015, 0.02, 0.03, 0.05}) {
                detection(
                        md,
                        full,
                        "failure rate",
                        "1 % -> " + pct(treated),
                        20,
                        base.withFailure(treated).withTraffic(traffic));
            }
        }
        for (double traffic : new double[] {100, 400, 1_600}) {
            detection(
                    md,
                    full,
                    "failure rate",
                    "1 % -> 20 %",
                    1,
                    Scenario.healthy(0.10).withFailure(0.20).withTraffic(traffic));
        }
        for (double traffic : new double[] {100, 400, 1_600}) {
            for (double factor : new double[] {1.5, 3}) {
                detection(
                        md,
                        full,
                        "sync duration p95 (ladder)",
                        "durations x" + factor,
                        2,
                        Scenario.healthy(0.50).withFactors(factor, 1, 1).withTraffic(traffic));
            }
        }
        for (double traffic : new double[] {100, 400, 1_600}) {
            for (double factor : new double[] {1.5, 3}) {
                detection(
                        md,
                        full,
                        "pending mutations (mean)",
                        "mean x" + factor,
                        3,
                        Scenario.healthy(0.10).withFactors(1, factor, 1).withTraffic(traffic));
            }
        }
        for (double traffic : new double[] {400}) {
            detection(
                    md,
                    full,
                    "upload throughput p5 (ladder)",
                    "throughput / 3",
                    3,
                    Scenario.healthy(0.10).withFactors(1, 1, 1.0 / 3).withTraffic(traffic));
        }
        md.append(String.format(Locale.ROOT, "%nRun time %.0f s.%n", (System.nanoTime() - started) / 1e9));
        ResultsFile.read(out, OPENING).replace(LAST_RUN, md.toString()).write();
        System.out.println(md);
    }

    private static String pct(double value) {
        return String.format(Locale.ROOT, "%.3g %%", 100 * value)
                .replace(".00 ", " ")
                .replace(".0 ", " ");
    }

    private static void detection(
            StringBuilder md, RolloutSimulator simulator, String kind, String change, int target, Scenario scenario) {
        int[] windows = IntStream.range(0, RUNS)
                .parallel()
                .map(run -> simulator
                        .run(scenario, 10_000L * (long) scenario.eventsPerSecond() + run, true)
                        .flagWindow())
                .toArray();
        List<Integer> detected =
                Arrays.stream(windows).filter(w -> w > 0).sorted().boxed().toList();
        // Undetected rollouts count as later than every window for the percentiles.
        int[] all = Arrays.stream(windows)
                .map(w -> w == 0 ? Integer.MAX_VALUE : w)
                .sorted()
                .toArray();
        String median = percentile(all, 0.5);
        String p90 = percentile(all, 0.9);
        long withinTarget = detected.stream().filter(w -> w <= target).count();
        md.append(String.format(
                Locale.ROOT,
                "| %s | %s | %.0f %% | %.0f | %s | %s | %.2f (<= %d) | %.2f |%n",
                kind,
                change,
                100 * scenario.rollout(),
                scenario.eventsPerSecond(),
                median,
                p90,
                (double) withinTarget / RUNS,
                target,
                (double) detected.size() / RUNS));
    }

    private static String percentile(int[] sorted, double q) {
        int value = sorted[(int) Math.ceil(q * sorted.length) - 1];
        return value == Integer.MAX_VALUE ? "> 60" : Integer.toString(value);
    }
}
