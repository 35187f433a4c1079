package dev.rollguard.bench.flag;

import dev.rollguard.infra.EmbeddedKafka;
import dev.rollguard.infra.EmbeddedPostgresServer;
import dev.rollguard.infra.Ports;
import dev.rollguard.infra.ServiceProcess;
import dev.rollguard.infra.StackSettings;
import dev.rollguard.infra.Tokens;
import dev.rollguard.infra.TopicPlan;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs the flag-service benchmarks and writes their figures to bench/results/flag-service.md (or the file {@code
 * bench.output} names), one section per phase (a phase run alone replaces its own section and keeps the others) and a
 * row per phase in its "Run history" ({@link Results}). Phases, chosen with {@code -Dbench.phases}:
 *
 * <ol>
 *   <li>{@code jmh}: in-process evaluation of one flag on one thread ({@link EvaluationBenchmark});
 *   <li>{@code single}: the packaged service (quarkus-run.jar) against a real Kafka broker and PostgreSQL server
 *       started here; OFREP single-flag evaluation over keep-alive HTTP/1.1 connections: the highest rate a closed
 *       loop reaches, then latency at half that rate in an open loop (latency counted from each request's scheduled
 *       time, so a stall is not hidden), and the service's resident memory (VmRSS) throughout;
 *   <li>{@code targeted}: closed loops on the plain 10 % flag and on a flag of 10 rules of 5 constraints, in turn
 *       (plain, targeted, plain, targeted), with the same varied contexts, and their ratio;
 *   <li>{@code bulk}: {@code POST /ofrep/v1/evaluate/flags} over the 100 flags of the service, closed then open loop;
 *   <li>{@code unleash}: unleash-server from the npm registry (a measuring tool only) with the same 100 flags as
 *       gradual rollouts of the same percentages, its {@code POST /api/frontend}, closed then open loop;
 *   <li>{@code sse}: change notification, the time from sending a kill/unkill to its refetch event on an SSE
 *       subscriber.
 * </ol>
 *
 * The load generator shares the machine (and its cores) with the service, the broker and the database.
 */
public final class FlagServiceBench {

    private static final String ADMIN = "bench-admin-token";
    private static final String CLIENT = "bench-client-token";
    private static final String FLAG = "offline-recording";
    private static final String TARGETED = "targeted";
    private static final int FLAGS = 100;
    // The heap and collector are the benchmark's; TrimNativeHeapInterval and MALLOC_ARENA_MAX (startService) are the
    // flag-service image's own defaults (flag-service/src/main/docker/Dockerfile.jvm), so the RSS measured is theirs.
    private static final List<String> SERVICE_JVM =
            List.of("-Xms64m", "-Xmx160m", "-XX:+UseSerialGC", "-XX:TrimNativeHeapInterval=5000");
    private static final List<String> ALL_PHASES = List.of("jmh", "single", "targeted", "bulk", "unleash", "sse");
    private static final String UNLEASH_ADMIN = "*:*.bench-unleash-admin-token";
    private static final String UNLEASH_FRONTEND = "default:development.bench-unleash-frontend-token";
    private static final int WARM_UP_MIN_SECONDS = 10;
    private static final int WARM_UP_MAX_SECONDS = 60;

    private FlagServiceBench() {}

    public static void main(String[] args) throws Exception {
        Path root = Path.of(System.getProperty("rollguard.root", "../.."))
                .toAbsolutePath()
                .normalize();
        Path resultsFile = root.resolve(System.getProperty("bench.output", "bench/results/flag-service.md"));
        Path jar = Path.of(System.getProperty("rollguard.service-jar"));
        int seconds = Integer.getInteger("bench.seconds", 20);
        int connections = Integer.getInteger("bench.connections", 32);
        int sseChanges = Integer.getInteger("bench.sse-changes", 200);
        Set<String> phases = new LinkedHashSet<>(Arrays.asList(
                System.getProperty("bench.phases", String.join(",", ALL_PHASES)).split("\\s*,\\s*")));
        if (!ALL_PHASES.containsAll(phases)) {
            throw new IllegalArgumentException("bench.phases: choose among " + ALL_PHASES + ", got " + phases);
        }
        Results results = new Results(resultsFile, root);
        int cores = Runtime.getRuntime().availableProcessors();

        if (phases.contains("jmh")) {
            String before = loadAverage();
            Collection<RunResult> jmh = new Runner(new OptionsBuilder()
                            .include(EvaluationBenchmark.class.getName())
                            .build())
                    .run();
            StringBuilder md = new StringBuilder(measured(cores, before, "jmh"))
                    .append(" `targeted`: 10 rules of 5 constraints each (IN case-insensitive, SEMVER_GTE, NOT_IN,")
                    .append(" STR_ENDS_WITH or MATCHES, then NUM_GTE, DATE_AFTER or IN), odd rules on a 50 % share,")
                    .append(" weighted variants 50/50, flag rollout 10 %; `tenRulesOfFiveConstraints` over 4096")
                    .append(" contexts of which some match a rule and some none, `tenRulesNoneMatching` one context")
                    .append(" failing every rule late.\n\n")
                    .append("| benchmark | evaluations/s |\n| --- | ---: |\n");
            StringBuilder headline = new StringBuilder();
            for (RunResult result : jmh) {
                headline.append(headline.isEmpty() ? "" : ", ")
                        .append(result.getParams().getBenchmark().replaceAll(".*\\.", ""))
                        .append(String.format(
                                Locale.ROOT,
                                " %.2f M/s",
                                result.getPrimaryResult().getScore() / 1e6));
                md.append("| ")
                        .append(result.getParams().getBenchmark().replaceAll(".*\\.", ""))
                        .append(" | ")
                        .append(String.format(
                                Locale.ROOT, "%,.0f", result.getPrimaryResult().getScore()))
                        .append(" ± ")
                        .append(String.format(
                                Locale.ROOT, "%,.0f", result.getPrimaryResult().getScoreError()))
                        .append(" |\n");
            }
            results.put("In-process evaluation (JMH, one thread)", "jmh", before, md.toString(), headline.toString());
        }
        phases.remove("jmh");
        if (phases.isEmpty()) {
            return;
        }

        Path dir = Files.createTempDirectory("rollguard-bench-flag");
        EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"), 0, 0);
        kafka.createTopics(TopicPlan.all(1));
        EmbeddedPostgresServer postgres = EmbeddedPostgresServer.start(dir.resolve("postgres"), 0);
        postgres.createDatabase("rollguard_flags");
        int port = Ports.free();
        ServiceProcess service =
                startService(jar, port, kafka.bootstrapServers(), postgres, dir.resolve("service.log"));
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
        try {
            service.awaitReady();
            List<BenchFlag> flags = BenchFlag.hundred();
            for (BenchFlag flag : flags) {
                createFlag(port, flag);
            }
            HttpClient http = vertx.createHttpClient(
                    new HttpClientOptions()
                            .setDefaultHost("127.0.0.1")
                            .setDefaultPort(port)
                            .setKeepAlive(true),
                    new PoolOptions().setHttp1MaxSize(connections));
            awaitBulk(vertx, http);
            int bulkKilobytes = bulkSize(vertx, http) / 1024;
            Target plain = ofrep(FLAG, Contexts.TARGETING_KEY_ONLY);
            Target plainAttributes = ofrep(FLAG, Contexts.ATTRIBUTES);
            Target targeted = ofrep(TARGETED, Contexts.ATTRIBUTES);
            Target bulk = bulk(Contexts.ATTRIBUTES);
            Memory memory = new Memory(service.pid());
            List<Target> warm = new ArrayList<>();
            if (phases.contains("single")) {
                warm.add(plain);
            }
            if (phases.contains("targeted")) {
                warm.add(plainAttributes);
                warm.add(targeted);
            }
            if (phases.contains("bulk")) {
                warm.add(bulk);
            }
            String warmUp = warmUp(vertx, http, warm, connections);
            // What the service burns with no requests (consumer polls, timers, JIT, GC), to subtract below.
            double idleStart = cpuSeconds(service.pid());
            long idleFrom = System.nanoTime();
            TimeUnit.SECONDS.sleep(10);
            double idleCpuPerSecond = (cpuSeconds(service.pid()) - idleStart) / ((System.nanoTime() - idleFrom) / 1e9);
            String cpuNote = String.format(
                    Locale.ROOT,
                    "%nService CPU per request: the service process's user+system CPU time over the phase, less what"
                            + " it used idle (%.3f cores, measured for 10 s before the phases), divided by its"
                            + " requests. It still carries costs that do not scale with requests (JIT, GC, cache"
                            + " misses from sharing %d cores with everything else), so it is highest when few"
                            + " requests get through: read it as an upper bound.%n",
                    idleCpuPerSecond,
                    cores);
            String header = "| phase | requests/s | errors | p50 ms | p99 ms | p99.9 ms | max ms | RSS max |"
                    + " CPU per request |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n";
            Load load =
                    new Load(vertx, connections, Duration.ofSeconds(seconds), memory, service.pid(), idleCpuPerSecond);

            if (phases.contains("single")) {
                String before = loadAverage();
                Phase max = load.closed(http, plain);
                Phase half = load.open(http, plain, max.rate() / 2);
                results.put(
                        "OFREP single-flag evaluation over HTTP (keep-alive)",
                        "single",
                        before,
                        measured(cores, before, "single") + " Service JVM: `" + String.join(" ", SERVICE_JVM) + "`; "
                                + connections + " connections; " + seconds + " s per phase after " + warmUp
                                + "; `POST /ofrep/v1/evaluate/flags/" + FLAG
                                + "` (10 % rollout, a different targetingKey per request, no other attribute).\n\n"
                                + header
                                + max.row("closed loop (highest rate)")
                                + half.row("open loop at half that rate")
                                + cpuNote,
                        figures(max, half));
            }
            if (phases.contains("targeted")) {
                String before = loadAverage();
                List<Phase> runs = new ArrayList<>();
                for (int round = 0; round < 2; round++) {
                    runs.add(load.closed(http, plainAttributes));
                    runs.add(load.closed(http, targeted));
                }
                StringBuilder md = new StringBuilder(measured(cores, before, "targeted"))
                        .append(" Closed loops of ")
                        .append(seconds)
                        .append(" s, ")
                        .append(connections)
                        .append(" connections, after ")
                        .append(warmUp)
                        .append(", in turn on `POST /ofrep/v1/evaluate/flags/")
                        .append(FLAG)
                        .append("` (plain 10 % rollout) and `POST /ofrep/v1/evaluate/flags/")
                        .append(TARGETED)
                        .append("` (10 % rollout with 10 rules of 5 constraints, as `EvaluationBenchmark`'s")
                        .append(" `targeted`, created through `POST /api/flags`), so that drift from other load on")
                        .append(" the machine hits both. Both carry the same context per request: a targetingKey and")
                        .append(" the seven attributes the rules read, varied over 4096 contexts (some match a rule,")
                        .append(" some none).\n\n")
                        .append(header);
                for (int i = 0; i < runs.size(); i++) {
                    md.append(runs.get(i).row((i % 2 == 0 ? "plain" : "targeted") + " " + (i / 2 + 1)));
                }
                double plainRate = (runs.get(0).rate() + runs.get(2).rate()) / 2;
                double targetedRate = (runs.get(1).rate() + runs.get(3).rate()) / 2;
                double plainCpu = (runs.get(0).cpuSeconds() + runs.get(2).cpuSeconds())
                        / (runs.get(0).requests() + runs.get(2).requests());
                double targetedCpu = (runs.get(1).cpuSeconds() + runs.get(3).cpuSeconds())
                        / (runs.get(1).requests() + runs.get(3).requests());
                md.append(String.format(
                        Locale.ROOT,
                        "%nRate targeted / plain (mean of each's two phases): **%.3f**, per round: %.3f, %.3f."
                                + " p99 targeted / plain: %.2f, %.2f. Service CPU per request targeted / plain (both"
                                + " phases of each, idle use subtracted): %.3f (%.1f µs against %.1f µs); this ratio"
                                + " moves less with other load on the machine than the rates do.%n",
                        targetedRate / plainRate,
                        runs.get(1).rate() / runs.get(0).rate(),
                        runs.get(3).rate() / runs.get(2).rate(),
                        runs.get(1).p99() / runs.get(0).p99(),
                        runs.get(3).p99() / runs.get(2).p99(),
                        targetedCpu / plainCpu,
                        targetedCpu * 1e6,
                        plainCpu * 1e6));
                results.put(
                        "OFREP with targeting rules against a plain flag",
                        "targeted",
                        before,
                        md.toString(),
                        String.format(
                                Locale.ROOT,
                                "plain %,.0f and targeted %,.0f req/s: rate targeted / plain %.3f, service CPU per"
                                        + " request targeted / plain %.3f",
                                plainRate,
                                targetedRate,
                                targetedRate / plainRate,
                                targetedCpu / plainCpu));
            }
            if (phases.contains("bulk")) {
                String before = loadAverage();
                Phase max = load.closed(http, bulk);
                Phase half = load.open(http, bulk, max.rate() / 2);
                results.put(
                        "OFREP bulk evaluation of 100 flags over HTTP (keep-alive)",
                        "bulk",
                        before,
                        measured(cores, before, "bulk") + " `POST /ofrep/v1/evaluate/flags`, " + connections
                                + " connections, " + seconds + " s per phase after " + warmUp + "; the service holds "
                                + FLAGS + " flags: " + BenchFlag.describe()
                                + " Each request carries a targetingKey and seven attributes, varied over 4096"
                                + " contexts; each answer holds all " + FLAGS + " flags (about "
                                + bulkKilobytes + " KB).\n\n"
                                + header
                                + max.row("closed loop (highest rate)")
                                + half.row("open loop at half that rate")
                                + cpuNote,
                        figures(max, half));
            }
            if (phases.contains("unleash")) {
                String before = loadAverage();
                String section = "unleash-server /api/frontend with the same 100 flags";
                Unleash unleash = null;
                try {
                    unleash = Unleash.start(
                            Path.of(System.getProperty("bench.unleash-dir")),
                            System.getProperty("bench.unleash-version", "7.5.1"),
                            postgres,
                            dir.resolve("unleash.log"));
                    for (BenchFlag flag : flags) {
                        unleash.createToggle(flag);
                    }
                    HttpClient unleashHttp = vertx.createHttpClient(
                            new HttpClientOptions()
                                    .setDefaultHost("127.0.0.1")
                                    .setDefaultPort(unleash.port)
                                    .setKeepAlive(true),
                            new PoolOptions().setHttp1MaxSize(connections));
                    Target frontend = unleashFrontend();
                    int enabled = unleash.awaitFrontend(vertx, unleashHttp);
                    String unleashWarmUp = warmUp(vertx, unleashHttp, List.of(frontend), connections);
                    Memory nodeMemory = new Memory(unleash.process.pid());
                    double unleashIdleStart = cpuSeconds(unleash.process.pid());
                    long unleashIdleFrom = System.nanoTime();
                    TimeUnit.SECONDS.sleep(5);
                    double unleashIdle = (cpuSeconds(unleash.process.pid()) - unleashIdleStart)
                            / ((System.nanoTime() - unleashIdleFrom) / 1e9);
                    Load unleashLoad = new Load(
                            vertx,
                            connections,
                            Duration.ofSeconds(seconds),
                            nodeMemory,
                            unleash.process.pid(),
                            unleashIdle);
                    Phase max = unleashLoad.closed(unleashHttp, frontend);
                    Phase half = unleashLoad.open(unleashHttp, frontend, max.rate() / 2);
                    nodeMemory.close();
                    results.put(
                            section,
                            "unleash",
                            before,
                            measured(cores, before, "unleash") + " unleash-server " + unleash.version
                                    + " from the npm registry"
                                    + " (Node.js " + unleash.node + "), installed under"
                                    + " `bench/flag-service/target/unleash`, on the benchmark's PostgreSQL (database"
                                    + " `unleash`), started with `node dist/server.js` (one process, as its `npm start`);"
                                    + " the same " + FLAGS + " flags as toggles in the default project's development"
                                    + " environment, each a `flexibleRollout` (gradual rollout, stickiness default)"
                                    + " of the same percentage, without the Rollguard rules (no constraints: Unleash"
                                    + " does less work per flag than the targeted ones). `POST /api/frontend` with a"
                                    + " frontend token and `{\"context\":{\"userId\",\"properties\"}}` carrying the"
                                    + " same seven attributes, varied over 4096 contexts; the answer lists the enabled"
                                    + " toggles only (" + enabled + " for the first context). Same load generator, "
                                    + connections + " connections, " + seconds + " s per phase after "
                                    + unleashWarmUp + ". RSS and CPU are the node process's (idle"
                                    + String.format(Locale.ROOT, " %.3f cores subtracted).\n\n", unleashIdle)
                                    + header
                                    + max.row("closed loop (highest rate)")
                                    + half.row("open loop at half that rate"),
                            "unleash-server " + unleash.version + ": " + figures(max, half));
                } catch (Exception e) {
                    String log = Files.exists(dir.resolve("unleash.log"))
                            ? tail(Files.readString(dir.resolve("unleash.log")), 1500)
                            : "";
                    results.put(
                            section,
                            "unleash",
                            before,
                            measured(cores, before, "unleash") + " unleash-server could not be measured: `" + e
                                    + "`\n\n" + (log.isEmpty() ? "" : "Its log ends with:\n\n```\n" + log + "\n```\n"),
                            "not measured: " + e.getClass().getSimpleName());
                    e.printStackTrace();
                } finally {
                    if (unleash != null) {
                        unleash.close();
                    }
                }
            }
            memory.close();
            if (phases.contains("sse")) {
                String before = loadAverage();
                Histogram sse = sseLatency(vertx, port, sseChanges);
                results.put(
                        "Change notification (SSE)",
                        "sse",
                        before,
                        measured(cores, before, "sse") + " Time from sending a kill or unkill (admin API, committed to"
                                + " PostgreSQL) to its `refetchEvaluation` event on a subscriber of"
                                + " `/ofrep/v1/events`, " + sse.getTotalCount() + " changes one after another.\n\n"
                                + "| p50 ms | p99 ms | max ms |\n| ---: | ---: | ---: |\n"
                                + String.format(
                                        Locale.ROOT,
                                        "| %.1f | %.1f | %.1f |\n",
                                        sse.getValueAtPercentile(50) / 1000.0,
                                        sse.getValueAtPercentile(99) / 1000.0,
                                        sse.getMaxValue() / 1000.0),
                        String.format(
                                Locale.ROOT,
                                "p50 %.1f / p99 %.1f / max %.1f ms",
                                sse.getValueAtPercentile(50) / 1000.0,
                                sse.getValueAtPercentile(99) / 1000.0,
                                sse.getMaxValue() / 1000.0));
            }
            System.out.println(Files.readString(resultsFile));
        } finally {
            service.stop();
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            postgres.close();
            kafka.close();
        }
    }

    /**
     * Warms the server (JIT, pools) with closed loops of 2 s over the targets in turn until a round's summed rate is
     * within 10 % of the round before, after at least 10 s and at most 60 s: on a machine shared with other work a
     * fixed few seconds leave the first phase measuring a cold JVM.
     */
    private static String warmUp(Vertx vertx, HttpClient http, List<Target> targets, int connections) throws Exception {
        long start = System.nanoTime();
        double previous = -1;
        while (!targets.isEmpty()) {
            double rate = 0;
            for (Target target : targets) {
                rate += closedLoop(vertx, http, target, connections, Duration.ofSeconds(2))
                        .rate();
            }
            double elapsed = (System.nanoTime() - start) / 1e9;
            boolean steady = previous > 0 && Math.abs(rate - previous) <= 0.1 * previous;
            if (elapsed >= WARM_UP_MAX_SECONDS || (elapsed >= WARM_UP_MIN_SECONDS && steady)) {
                return String.format(
                        Locale.ROOT,
                        "a warm-up of %.0f s (closed loops of 2 s over every measured request in turn until a"
                                + " round's rate was within 10 %% of the one before%s)",
                        elapsed,
                        steady ? "" : "; it was not, the warm-up stopped at its 60 s limit");
            }
            previous = rate;
        }
        return "no warm-up";
    }

    private static String loadAverage() throws IOException {
        return Files.readString(Path.of("/proc/loadavg")).trim();
    }

    /** The headline figures of a closed loop and the open loop at half its rate, for the run history. */
    private static String figures(Phase max, Phase half) {
        return String.format(
                Locale.ROOT,
                "closed loop %,.0f req/s (p99 %.2f ms, %.1f µs CPU per request), half rate p99 %.2f ms, RSS max %d MB,"
                        + " errors %d",
                max.rate(),
                max.p99(),
                max.requests() == 0 ? 0 : max.cpuSeconds() * 1e6 / max.requests(),
                half.p99(),
                Math.max(max.rssBytes(), half.rssBytes()) / (1024 * 1024),
                max.errors() + half.errors());
    }

    /** The opening of a section: when, on what, the load average before and after, and how to rerun it alone. */
    private static String measured(int cores, String before, String phase) throws IOException {
        return "Measured " + Instant.now().truncatedTo(ChronoUnit.SECONDS) + " on " + cores
                + " cores shared by the load generator, the service, the Kafka broker and PostgreSQL (load average"
                + " before: " + before + "; after: " + loadAverage() + "). Rerun alone: `" + Results.COMMAND
                + " -Dbench.phases=" + phase + " -Dbench.seconds=" + Integer.getInteger("bench.seconds", 20)
                + " -Dbench.connections=" + Integer.getInteger("bench.connections", 32)
                + ("sse".equals(phase) ? " -Dbench.sse-changes=" + Integer.getInteger("bench.sse-changes", 200) : "")
                + "`.";
    }

    private static String tail(String text, int chars) {
        return text.length() <= chars ? text : text.substring(text.length() - chars);
    }

    private static ServiceProcess startService(
            Path jar, int port, String kafka, EmbeddedPostgresServer postgres, Path log) {
        Tokens tokens = new Tokens(ADMIN, null, CLIENT, null, null, null);
        return ServiceProcess.packaged("flag-service", jar)
                .port(port)
                .jvmArgs(SERVICE_JVM)
                .env(StackSettings.servers(
                                kafka, "127.0.0.1:" + postgres.port(), EmbeddedPostgresServer.USER, "", tokens)
                        .environment("flag-service"))
                // The image's native-memory setting (its Dockerfile), so the RSS is what the image runs.
                .env("MALLOC_ARENA_MAX", "2")
                // The benchmark measures the service, not its per-token limit.
                .env("FLAG_SERVICE_RATE_LIMIT_DEFAULT_REQUESTS_PER_SECOND", "100000000")
                .log(log)
                .start();
    }

    private static final java.net.http.HttpClient ADMIN_HTTP = java.net.http.HttpClient.newBuilder()
            .version(java.net.http.HttpClient.Version.HTTP_1_1)
            .build();

    private static void createFlag(int port, BenchFlag flag) throws Exception {
        var response = admin(port, "POST", "/api/flags", flag.json().encode());
        if (response.statusCode() != 201) {
            throw new IllegalStateException(
                    "creating flag " + flag.key() + " answered " + response.statusCode() + ": " + response.body());
        }
    }

    private static HttpResponse<String> admin(int port, String method, String path, String body) throws Exception {
        return ADMIN_HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .header("Authorization", "Bearer " + ADMIN)
                        .header("Content-Type", "application/json")
                        .method(method, HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** One phase of load: its rate, errors, latency histogram (microseconds), and the server's RSS and CPU. */
    record Phase(long requests, long errors, double seconds, Histogram latency, long rssBytes, double cpuSeconds) {
        double rate() {
            return requests / seconds;
        }

        double p99() {
            return latency.getValueAtPercentile(99) / 1000.0;
        }

        String row(String phase) {
            return String.format(
                    Locale.ROOT,
                    "| %s | %,.0f | %d | %.2f | %.2f | %.2f | %.1f | %d MB | %.1f µs |\n",
                    phase,
                    rate(),
                    errors,
                    latency.getValueAtPercentile(50) / 1000.0,
                    p99(),
                    latency.getValueAtPercentile(99.9) / 1000.0,
                    latency.getMaxValue() / 1000.0,
                    rssBytes / (1024 * 1024),
                    requests == 0 ? 0 : cpuSeconds * 1e6 / requests);
        }
    }

    /** Load phases against one server process, whose RSS and CPU (less its idle use) each phase records. */
    record Load(Vertx vertx, int connections, Duration duration, Memory memory, long pid, double idleCpuPerSecond) {
        Phase closed(HttpClient http, Target target) throws Exception {
            memory.reset();
            double cpu = cpuSeconds(pid);
            Run run = closedLoop(vertx, http, target, connections, duration);
            return run.phase(memory.max(), cpuSeconds(pid) - cpu - idleCpuPerSecond * run.seconds());
        }

        Phase open(HttpClient http, Target target, double rate) throws Exception {
            memory.reset();
            double cpu = cpuSeconds(pid);
            Run run = openLoop(vertx, http, target, Math.max(1, (int) rate), duration);
            return run.phase(memory.max(), cpuSeconds(pid) - cpu - idleCpuPerSecond * run.seconds());
        }
    }

    record Run(long requests, long errors, double seconds, Histogram latency) {
        double rate() {
            return requests / seconds;
        }

        Phase phase(long rssBytes, double cpuSeconds) {
            return new Phase(requests, errors, seconds, latency, rssBytes, cpuSeconds);
        }
    }

    /** One request of a load: the n-th request's status code once its body has been read. */
    @FunctionalInterface
    interface Target {
        Future<Integer> send(HttpClient http, long n);
    }

    private static Target post(String uri, String authorization, List<byte[]> bodies) {
        return (http, n) -> http.request(new RequestOptions()
                        .setMethod(HttpMethod.POST)
                        .setURI(uri)
                        .putHeader("Authorization", authorization)
                        .putHeader("Content-Type", "application/json"))
                .compose(request -> request.send(Buffer.buffer(bodies.get((int) (n % bodies.size())))))
                .compose(response -> response.body().map(ignored -> response.statusCode()));
    }

    private static Target ofrep(String flag, List<byte[]> contexts) {
        return post("/ofrep/v1/evaluate/flags/" + flag, "Bearer " + CLIENT, contexts);
    }

    private static Target bulk(List<byte[]> contexts) {
        return post("/ofrep/v1/evaluate/flags", "Bearer " + CLIENT, contexts);
    }

    private static Target unleashFrontend() {
        return post("/api/frontend", Unleash.FRONTEND_SECRET, Contexts.UNLEASH);
    }

    /** Waits until the bulk answer holds every flag (the snapshot follows the admin writes through Kafka). */
    private static void awaitBulk(Vertx vertx, HttpClient http) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        int seen = 0;
        while (System.nanoTime() < deadline) {
            seen = bulkAnswer(http).getJsonArray("flags").size();
            if (seen == FLAGS) {
                return;
            }
            TimeUnit.MILLISECONDS.sleep(200);
        }
        throw new IllegalStateException("the bulk answer holds " + seen + " flags, not " + FLAGS);
    }

    private static int bulkSize(Vertx vertx, HttpClient http) throws Exception {
        return bulkAnswer(http).encode().length();
    }

    private static JsonObject bulkAnswer(HttpClient http) throws Exception {
        return http.request(new RequestOptions()
                        .setMethod(HttpMethod.POST)
                        .setURI("/ofrep/v1/evaluate/flags")
                        .putHeader("Authorization", "Bearer " + CLIENT)
                        .putHeader("Content-Type", "application/json"))
                .compose(request -> request.send(Buffer.buffer(Contexts.ATTRIBUTES.get(0))))
                .compose(response -> response.body())
                .map(Buffer::toJsonObject)
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
    }

    /** User plus system CPU time of a process, from /proc/PID/stat (clock ticks of 1/100 s on Linux). */
    private static double cpuSeconds(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / 100.0;
    }

    /** Each connection sends its next request as soon as the previous answer arrives. */
    private static Run closedLoop(Vertx vertx, HttpClient http, Target target, int connections, Duration duration)
            throws Exception {
        Histogram latency = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
        AtomicLong ok = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        AtomicLong sequence = new AtomicLong();
        CompletableFuture<Void> done = new CompletableFuture<>();
        AtomicLong open = new AtomicLong(connections);
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        vertx.runOnContext(v -> {
            for (int c = 0; c < connections; c++) {
                fireLoop(http, target, latency, ok, errors, sequence, end, () -> {
                    if (open.decrementAndGet() == 0) {
                        done.complete(null);
                    }
                });
            }
        });
        done.get(duration.toSeconds() + 60, TimeUnit.SECONDS);
        return new Run(ok.get(), errors.get(), (System.nanoTime() - start) / 1e9, latency);
    }

    private static void fireLoop(
            HttpClient http,
            Target target,
            Histogram latency,
            AtomicLong ok,
            AtomicLong errors,
            AtomicLong sequence,
            long end,
            Runnable finished) {
        long sent = System.nanoTime();
        target.send(http, sequence.incrementAndGet()).onComplete(result -> {
            if (result.succeeded() && result.result() == 200) {
                latency.recordValue(Math.max(1, (System.nanoTime() - sent) / 1000));
                ok.incrementAndGet();
            } else {
                errors.incrementAndGet();
            }
            if (System.nanoTime() < end) {
                fireLoop(http, target, latency, ok, errors, sequence, end, finished);
            } else {
                finished.run();
            }
        });
    }

    /** Requests leave on a fixed schedule; each latency counts from its scheduled time (no coordinated omission). */
    private static Run openLoop(Vertx vertx, HttpClient http, Target target, int rate, Duration duration)
            throws Exception {
        Histogram latency = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
        AtomicLong ok = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        AtomicLong scheduled = new AtomicLong();
        AtomicLong answered = new AtomicLong();
        long total = rate * duration.toSeconds();
        double interval = 1e9 / rate;
        long start = System.nanoTime();
        CompletableFuture<Void> done = new CompletableFuture<>();
        vertx.setPeriodic(1, timer -> {
            long now = System.nanoTime();
            while (scheduled.get() < total && start + (long) (scheduled.get() * interval) <= now) {
                long intended = start + (long) (scheduled.getAndIncrement() * interval);
                target.send(http, scheduled.get()).onComplete(result -> {
                    if (result.succeeded() && result.result() == 200) {
                        latency.recordValue(Math.max(1, (System.nanoTime() - intended) / 1000));
                        ok.incrementAndGet();
                    } else {
                        errors.incrementAndGet();
                    }
                    if (answered.incrementAndGet() == total) {
                        done.complete(null);
                    }
                });
            }
            if (scheduled.get() >= total) {
                vertx.cancelTimer(timer);
            }
        });
        done.get(duration.toSeconds() + 60, TimeUnit.SECONDS);
        return new Run(ok.get(), errors.get(), (System.nanoTime() - start) / 1e9, latency);
    }

    /** Kill and unkill the flag in turn; each time, wait for the subscriber's event. Microseconds. */
    private static Histogram sseLatency(Vertx vertx, int port, int changes) throws Exception {
        BlockingQueue<Long> arrivals = new LinkedBlockingQueue<>();
        HttpClient stream = vertx.createHttpClient(
                new HttpClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port));
        StringBuilder partial = new StringBuilder();
        stream.request(new RequestOptions()
                        .setMethod(HttpMethod.GET)
                        .setURI("/ofrep/v1/events")
                        .putHeader("Authorization", "Bearer " + CLIENT)
                        .putHeader("Accept", "text/event-stream"))
                .compose(request -> request.send())
                .onSuccess(response -> response.handler(chunk -> {
                    long now = System.nanoTime();
                    partial.append(chunk.toString());
                    int newline;
                    while ((newline = partial.indexOf("\n")) >= 0) {
                        String line = partial.substring(0, newline);
                        partial.delete(0, newline + 1);
                        if (line.startsWith("data:") && line.contains("refetchEvaluation")) {
                            arrivals.add(now);
                        }
                    }
                }))
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        Histogram latency = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
        for (int i = 0; i < changes; i++) {
            String action = i % 2 == 0 ? "kill" : "unkill";
            arrivals.clear();
            long sent = System.nanoTime();
            var response = admin(port, "POST", "/api/flags/" + FLAG + "/" + action, "{\"reason\":\"bench " + i + "\"}");
            if (response.statusCode() != 200) {
                throw new IllegalStateException(action + " answered " + response.statusCode());
            }
            Long arrived = arrivals.poll(5, TimeUnit.SECONDS);
            if (arrived == null) {
                throw new IllegalStateException("no change event within 5 s of change " + i);
            }
            latency.recordValue(Math.max(1, (arrived - sent) / 1000));
        }
        return latency;
    }

    /** The service's highest resident set size (VmRSS) since the last reset, sampled every 100 ms. */
    private static final class Memory implements AutoCloseable {
        private final ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "rss-sampler");
            thread.setDaemon(true); // a failed phase must not keep the benchmark's JVM alive
            return thread;
        });
        private final AtomicLong max = new AtomicLong();

        Memory(long pid) {
            Path status = Path.of("/proc", Long.toString(pid), "status");
            sampler.scheduleAtFixedRate(
                    () -> {
                        try {
                            for (String line : Files.readAllLines(status)) {
                                if (line.startsWith("VmRSS:")) {
                                    long kb = Long.parseLong(line.replaceAll("[^0-9]", ""));
                                    max.accumulateAndGet(kb * 1024, Math::max);
                                }
                            }
                        } catch (IOException | RuntimeException gone) {
                            // the process ended
                        }
                    },
                    0,
                    100,
                    TimeUnit.MILLISECONDS);
        }

        void reset() {
            max.set(0);
        }

        long max() {
            return max.get();
        }

        @Override
        public void close() {
            sampler.shutdownNow();
        }
    }
}
