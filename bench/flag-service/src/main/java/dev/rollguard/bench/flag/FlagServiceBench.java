package dev.rollguard.bench.flag;

import dev.rollguard.infra.EmbeddedKafka;
import dev.rollguard.infra.EmbeddedPostgresServer;
import dev.rollguard.infra.Ports;
import dev.rollguard.infra.TopicPlan;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
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
 * Runs the flag-service benchmarks and writes their figures to bench/results/flag-service.md:
 *
 * <ol>
 *   <li>JMH: in-process evaluation of one flag on one thread ({@link EvaluationBenchmark});
 *   <li>the packaged service (quarkus-run.jar) against a real Kafka broker and PostgreSQL server started here;
 *       OFREP single-flag evaluation over keep-alive HTTP/1.1 connections: the highest rate a closed loop reaches,
 *       then latency at half that rate in an open loop (latency counted from each request's scheduled time, so a
 *       stall is not hidden), and the service's resident memory (VmRSS) throughout;
 *   <li>change notification: the time from sending a kill/unkill to its refetch event on an SSE subscriber.
 * </ol>
 *
 * The load generator shares the machine (and its cores) with the service, the broker and the database.
 */
public final class FlagServiceBench {

    private static final String ADMIN = "bench-admin-token";
    private static final String CLIENT = "bench-client-token";
    private static final String FLAG = "offline-recording";
    private static final List<String> SERVICE_JVM = List.of("-Xms64m", "-Xmx160m", "-XX:+UseSerialGC");

    private FlagServiceBench() {}

    public static void main(String[] args) throws Exception {
        Path results = Path.of(System.getProperty("rollguard.results"));
        Path jar = Path.of(System.getProperty("rollguard.service-jar"));
        int seconds = Integer.getInteger("bench.seconds", 20);
        int connections = Integer.getInteger("bench.connections", 32);
        int sseChanges = Integer.getInteger("bench.sse-changes", 200);
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " is missing: run ./mvnw -q -pl flag-service package -DskipTests");
        }
        String load = Files.readString(Path.of("/proc/loadavg")).trim();
        int cores = Runtime.getRuntime().availableProcessors();

        Collection<RunResult> jmh = new Runner(new OptionsBuilder()
                        .include(EvaluationBenchmark.class.getName())
                        .build())
                .run();

        Path dir = Files.createTempDirectory("rollguard-bench-flag");
        EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"), 0, 0);
        kafka.createTopics(TopicPlan.all(1));
        EmbeddedPostgresServer postgres = EmbeddedPostgresServer.start(dir.resolve("postgres"), 0);
        postgres.createDatabase("rollguard_flags");
        int port = Ports.free();
        Process service = startService(jar, port, kafka.bootstrapServers(), postgres, dir.resolve("service.log"));
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
        StringBuilder md = new StringBuilder();
        try {
            awaitReady(port);
            createFlag(port);
            HttpClient http = vertx.createHttpClient(
                    new HttpClientOptions()
                            .setDefaultHost("127.0.0.1")
                            .setDefaultPort(port)
                            .setKeepAlive(true),
                    new PoolOptions().setHttp1MaxSize(connections));
            Memory memory = new Memory(service.pid());

            closedLoop(vertx, http, connections, Duration.ofSeconds(5)); // warm-up: JIT, pools
            // What the service burns with no requests (consumer polls, timers, JIT, GC), to subtract below.
            double idleStart = cpuSeconds(service.pid());
            long idleFrom = System.nanoTime();
            TimeUnit.SECONDS.sleep(10);
            double idleCpuPerSecond = (cpuSeconds(service.pid()) - idleStart) / ((System.nanoTime() - idleFrom) / 1e9);
            memory.reset();
            double cpuBefore = cpuSeconds(service.pid());
            Run max = closedLoop(vertx, http, connections, Duration.ofSeconds(seconds));
            double maxCpu = cpuSeconds(service.pid()) - cpuBefore;
            long maxRss = memory.max();
            int halfRate = Math.max(1, (int) (max.rate() / 2));
            memory.reset();
            cpuBefore = cpuSeconds(service.pid());
            Run half = openLoop(vertx, http, halfRate, Duration.ofSeconds(seconds));
            double halfCpu = cpuSeconds(service.pid()) - cpuBefore;
            long halfRss = memory.max();
            memory.close();
            Histogram sse = sseLatency(vertx, port, sseChanges);

            md.append("# flag-service benchmark\n\n")
                    .append("Measured ")
                    .append(Instant.now())
                    .append(" on ")
                    .append(cores)
                    .append(" cores (load average before the run: ")
                    .append(load)
                    .append("), by `bench/flag-service` (see flag-service/README.md). The load generator, the")
                    .append(" service, the Kafka broker and PostgreSQL all share these cores.\n\n")
                    .append("## In-process evaluation (JMH, one thread)\n\n")
                    .append("| benchmark | evaluations/s |\n| --- | ---: |\n");
            for (RunResult result : jmh) {
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
            md.append("\n## OFREP single-flag evaluation over HTTP (keep-alive)\n\n")
                    .append("Service JVM: `")
                    .append(String.join(" ", SERVICE_JVM))
                    .append("`; ")
                    .append(connections)
                    .append(" connections; ")
                    .append(seconds)
                    .append(" s per phase after 5 s of warm-up; `POST /ofrep/v1/evaluate/flags/")
                    .append(FLAG)
                    .append("` (10 % rollout, a different targetingKey per request).\n\n")
                    .append("| phase | requests/s | errors | p50 ms | p99 ms | p99.9 ms | max ms | service RSS max |")
                    .append(" service CPU per request |\n")
                    .append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
                    .append(max.row("closed loop (highest rate)", maxRss, maxCpu - idleCpuPerSecond * max.seconds()))
                    .append(half.row(
                            "open loop at half that rate", halfRss, halfCpu - idleCpuPerSecond * half.seconds()))
                    .append(String.format(
                            Locale.ROOT,
                            "%nService CPU per request: the service process's user+system CPU time over the phase, less"
                                    + " what it used idle (%.3f cores, measured for 10 s before the phases), divided by"
                                    + " its requests. It still carries costs that do not scale with requests (JIT, GC,"
                                    + " cache misses from sharing %d cores with everything else), so it is highest when"
                                    + " few requests get through: read it as an upper bound.%n",
                            idleCpuPerSecond,
                            cores))
                    .append("\n## Change notification (SSE)\n\n")
                    .append("Time from sending a kill or unkill (admin API, committed to PostgreSQL) to its")
                    .append(" `refetchEvaluation` event on a subscriber of `/ofrep/v1/events`, ")
                    .append(sse.getTotalCount())
                    .append(" changes one after another.\n\n")
                    .append("| p50 ms | p99 ms | max ms |\n| ---: | ---: | ---: |\n")
                    .append(String.format(
                            Locale.ROOT,
                            "| %.1f | %.1f | %.1f |\n",
                            sse.getValueAtPercentile(50) / 1000.0,
                            sse.getValueAtPercentile(99) / 1000.0,
                            sse.getMaxValue() / 1000.0));
            Files.createDirectories(results.getParent());
            Files.writeString(results, md.toString());
            System.out.println(md);
        } finally {
            service.destroy();
            service.waitFor(20, TimeUnit.SECONDS);
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            postgres.close();
            kafka.close();
        }
    }

    private static Process startService(Path jar, int port, String kafka, EmbeddedPostgresServer postgres, Path log)
            throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(SERVICE_JVM);
        command.add("-jar");
        command.add(jar.toString());
        ProcessBuilder builder =
                new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        var env = builder.environment();
        env.put("QUARKUS_HTTP_PORT", Integer.toString(port));
        env.put("KAFKA_BOOTSTRAP_SERVERS", kafka);
        String jdbc = postgres.jdbcUrl("rollguard_flags");
        env.put("QUARKUS_DATASOURCE_JDBC_URL", jdbc);
        env.put("QUARKUS_DATASOURCE_REACTIVE_URL", jdbc.substring("jdbc:".length()));
        env.put("QUARKUS_DATASOURCE_USERNAME", EmbeddedPostgresServer.USER);
        env.put("ROLLGUARD_ADMIN_TOKEN", ADMIN);
        env.put("ROLLGUARD_CLIENT_TOKEN", CLIENT);
        // The benchmark measures the service, not its per-token limit.
        env.put("FLAG_SERVICE_RATE_LIMIT_DEFAULT_REQUESTS_PER_SECOND", "100000000");
        return builder.start();
    }

    private static final java.net.http.HttpClient ADMIN_HTTP = java.net.http.HttpClient.newBuilder()
            .version(java.net.http.HttpClient.Version.HTTP_1_1)
            .build();

    private static void awaitReady(int port) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            try {
                var response = ADMIN_HTTP.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/q/health/ready"))
                                .build(),
                        HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // the service is still starting
            }
            TimeUnit.MILLISECONDS.sleep(500);
        }
        throw new IllegalStateException("the flag-service did not get ready within 120 s");
    }

    private static void createFlag(int port) throws Exception {
        String body = "{\"key\":\"" + FLAG + "\",\"description\":\"bench\",\"enabled\":true,"
                + "\"allowList\":[\"admin@example.com\"],\"rolloutPercentage\":10}";
        var response = admin(port, "POST", "/api/flags", body);
        if (response.statusCode() != 201) {
            throw new IllegalStateException(
                    "creating the flag answered " + response.statusCode() + ": " + response.body());
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

    /** One phase of load: its rate, errors and latency histogram (microseconds). */
    record Run(long requests, long errors, double seconds, Histogram latency) {
        double rate() {
            return requests / seconds;
        }

        String row(String phase, long rssBytes, double cpuSeconds) {
            return String.format(
                    Locale.ROOT,
                    "| %s | %,.0f | %d | %.2f | %.2f | %.2f | %.1f | %d MB | %.1f µs |\n",
                    phase,
                    rate(),
                    errors,
                    latency.getValueAtPercentile(50) / 1000.0,
                    latency.getValueAtPercentile(99) / 1000.0,
                    latency.getValueAtPercentile(99.9) / 1000.0,
                    latency.getMaxValue() / 1000.0,
                    rssBytes / (1024 * 1024),
                    requests == 0 ? 0 : cpuSeconds * 1e6 / requests);
        }
    }

    /** User plus system CPU time of a process, from /proc/PID/stat (clock ticks of 1/100 s on Linux). */
    private static double cpuSeconds(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / 100.0;
    }

    /** Each connection sends its next request as soon as the previous answer arrives. */
    private static Run closedLoop(Vertx vertx, HttpClient http, int connections, Duration duration) throws Exception {
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
                fireLoop(http, latency, ok, errors, sequence, end, () -> {
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
            Histogram latency,
            AtomicLong ok,
            AtomicLong errors,
            AtomicLong sequence,
            long end,
            Runnable finished) {
        long sent = System.nanoTime();
        evaluate(http, sequence.incrementAndGet()).onComplete(result -> {
            if (result.succeeded() && result.result() == 200) {
                latency.recordValue(Math.max(1, (System.nanoTime() - sent) / 1000));
                ok.incrementAndGet();
            } else {
                errors.incrementAndGet();
            }
            if (System.nanoTime() < end) {
                fireLoop(http, latency, ok, errors, sequence, end, finished);
            } else {
                finished.run();
            }
        });
    }

    /** Requests leave on a fixed schedule; each latency counts from its scheduled time (no coordinated omission). */
    private static Run openLoop(Vertx vertx, HttpClient http, int rate, Duration duration) throws Exception {
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
                evaluate(http, scheduled.get()).onComplete(result -> {
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

    private static io.vertx.core.Future<Integer> evaluate(HttpClient http, long n) {
        Buffer body = Buffer.buffer("{\"context\":{\"targetingKey\":\"user-" + (n % 100_000) + "\"}}");
        return http.request(new RequestOptions()
                        .setMethod(HttpMethod.POST)
                        .setURI("/ofrep/v1/evaluate/flags/" + FLAG)
                        .putHeader("Authorization", "Bearer " + CLIENT)
                        .putHeader("Content-Type", "application/json"))
                .compose(request -> request.send(body))
                .compose(response -> response.body().map(ignored -> response.statusCode()));
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
        private final ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
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
