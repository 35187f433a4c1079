package dev.rollguard.bench.alert;

import dev.rollguard.infra.Ports;
import dev.rollguard.infra.ResultsFile;
import dev.rollguard.infra.ServiceProcess;
import dev.rollguard.infra.SharedInfra;
import dev.rollguard.infra.StackSettings;
import dev.rollguard.infra.Tokens;
import dev.rollguard.schemas.Topics;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.AlertStatus;
import dev.rollguard.schemas.event.ScopeType;
import dev.rollguard.schemas.event.WindowKind;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import dev.rollguard.schemas.serde.AvroSerde;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Benchmark of the packaged alert-service ({@code java -jar quarkus-run.jar}, production configuration from the
 * environment) on a real Kafka broker and PostgreSQL (embedded-infra), with the default rule pack loaded.
 *
 * <ol>
 *   <li>Throughput: a backlog of windows is written to {@code metrics.windows} before the service starts; the time
 *       it takes to evaluate them all (read from its {@code rollguard.alert.windows} counter) gives windows/s.
 *   <li>Latency: under a steady load of {@code bench.rate} windows/s, probe windows that each complete a condition
 *       (a fresh table breaching a {@code for: 0} rule) are sent; the time from sending the probe to receiving its
 *       FIRING AlertEvent from the {@code alerts} topic is the window-to-alert latency, Kafka hops included.
 * </ol>
 *
 * Figures go to {@code bench/results/alert-service.md} (or the file {@code bench.output} names): each run replaces
 * its section "Last run" and adds a row to "Run history"; the file's other sections stay as they are.
 */
public final class AlertBench {

    private static final String LAST_RUN = "Last run";
    private static final String HISTORY = "Run history";
    private static final String OPENING =
            """
            # alert-service benchmark

            Written by `bench/alert-service` (alert-service/README.md, "Benchmark"): each run replaces the section "Last
            run" and adds a row to "Run history"; every other section is kept as it is.
            """;
    private static final String HISTORY_HEAD =
            """
            One row per run, the newest last; the newest run's full figures are in "Last run", earlier ones' in the
            file's git history. Load average: 1 minute, at the end of the steady phase.

            | run (UTC) | code | load avg | backlog drain | evaluated in steady phase | sent -> received p50 / p90 / p99 (max) | sent -> evaluated p50 / p90 / p99 | evaluated -> received p50 / p90 / p99 |
            | --- | --- | --- | --- | --- | --- | --- | --- |
            """;

    private static final String ADMIN_TOKEN = "bench-admin-" + UUID.randomUUID();
    private static final String PROBE_RULE = "bench-probe";
    private static final Pattern EVALUATED = Pattern.compile(
            "^rollguard_alert_windows_total\\{[^}]*outcome=\"evaluated\"[^}]*} ([0-9.eE+]+)", Pattern.MULTILINE);

    private final HttpClient http = HttpClient.newHttpClient();
    private String baseUrl;

    public static void main(String[] args) throws Exception {
        new AlertBench().run();
        System.exit(0);
    }

    private void run() throws Exception {
        Path root = Path.of(System.getProperty("rollguard.root", "../.."))
                .toAbsolutePath()
                .normalize();
        int backlog = Integer.getInteger("bench.backlog", 400_000);
        int rate = Integer.getInteger("bench.rate", 20_000);
        int seconds = Integer.getInteger("bench.seconds", 30);
        int probesPerSecond = Integer.getInteger("bench.probes", 10);
        int cycle = Integer.getInteger("bench.cycle", 2_000);

        String bootstrap = SharedInfra.kafkaBootstrap();
        String database = "rollguard_alerts_bench_" + System.currentTimeMillis();
        WindowGenerator generator = new WindowGenerator(cycle);

        log("preloading %,d windows", backlog);
        try (KafkaProducer<String, WindowMetricsEvent> producer = producer(bootstrap, 20)) {
            int sent = 0;
            while (sent < backlog) {
                for (WindowMetricsEvent w : generator.nextMinute()) {
                    producer.send(new ProducerRecord<>(Topics.METRICS_WINDOWS, WindowGenerator.key(w), w));
                    if (++sent == backlog) {
                        break;
                    }
                }
            }
            producer.flush();
        }

        int port = Ports.free();
        baseUrl = "http://127.0.0.1:" + port;
        Path logFile = root.resolve("bench/alert-service/target/alert-service.log");
        ServiceProcess service = launch(root, database, port, logFile);
        try {
            service.awaitReady();
            log("service ready; draining the backlog");
            long drainStart = 0;
            double evaluated;
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
            while ((evaluated = evaluated()) < backlog && System.nanoTime() < deadline) {
                if (drainStart == 0 && evaluated > 0) {
                    drainStart = System.nanoTime();
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
            }
            long drainEnd = System.nanoTime();
            double drainSeconds = (drainEnd - drainStart) / 1e9;
            double drainRate = evaluated / drainSeconds;
            log("backlog: %,.0f windows in %.1f s = %,.0f windows/s", evaluated, drainSeconds, drainRate);

            createProbeRule();
            double[] batchesBefore = batches();
            Result steady = steadyLoad(bootstrap, generator, rate, seconds, probesPerSecond);
            double[] batchesAfter = batches();
            double batchCount = batchesAfter[0] - batchesBefore[0];
            double batchMillis =
                    batchCount == 0 ? Double.NaN : 1000 * (batchesAfter[1] - batchesBefore[1]) / batchCount;
            double windowsPerBatch = batchCount == 0 ? Double.NaN : steady.evaluatedCount() / batchCount;
            write(
                    root,
                    evaluated,
                    drainSeconds,
                    drainRate,
                    rate,
                    seconds,
                    probesPerSecond,
                    cycle,
                    steady,
                    batchMillis,
                    windowsPerBatch);
        } finally {
            service.stop();
        }
    }

    private record Result(
            double sentRate,
            double evaluatedRate,
            double evaluatedCount,
            List<Double> latenciesMs,
            List<Double> toEvaluatedMs,
            List<Double> toReceivedMs,
            int probes,
            int alertsSeen,
            String load) {}

    private Result steadyLoad(String bootstrap, WindowGenerator generator, int rate, int seconds, int probesPerSecond)
            throws Exception {
        Map<String, Long> probeSentAt = new ConcurrentHashMap<>();
        List<Double> latencies = new CopyOnWriteArrayList<>();
        List<Double> toEvaluated = new CopyOnWriteArrayList<>();
        List<Double> toReceived = new CopyOnWriteArrayList<>();
        AtomicBoolean running = new AtomicBoolean(true);
        int[] alertsSeen = new int[1];

        Thread receiver = new Thread(
                () -> {
                    try (KafkaConsumer<String, AlertEvent> consumer = new KafkaConsumer<>(
                            Map.of(
                                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                    bootstrap,
                                    ConsumerConfig.GROUP_ID_CONFIG,
                                    "bench-" + UUID.randomUUID(),
                                    ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                                    "false"),
                            new StringDeserializer(),
                            new AvroSerde.AvroDeserializer<>(AlertEvent.class))) {
                        List<TopicPartition> partitions = consumer.partitionsFor(Topics.ALERTS).stream()
                                .map(p -> new TopicPartition(Topics.ALERTS, p.partition()))
                                .toList();
                        consumer.assign(partitions);
                        consumer.seekToEnd(partitions);
                        partitions.forEach(consumer::position);
                        while (running.get()) {
                            for (var record : consumer.poll(Duration.ofMillis(50))) {
                                long now = System.nanoTime();
                                long wallNow = System.currentTimeMillis();
                                AlertEvent alert = record.value();
                                alertsSeen[0]++;
                                if (PROBE_RULE.equals(alert.getRuleId()) && alert.getStatus() == AlertStatus.FIRING) {
                                    Long sent = probeSentAt.remove(alert.getScopeKey());
                                    if (sent != null) {
                                        latencies.add((now - sent) / 1e6);
                                        // windowClosedAt is the probe's emittedAt, stamped by this JVM when it was
                                        // sent.
                                        toEvaluated.add((double) (alert.getEmittedAt()
                                                        .toEpochMilli()
                                                - alert.getWindowClosedAt().toEpochMilli()));
                                        toReceived.add((double)
                                                (wallNow - alert.getEmittedAt().toEpochMilli()));
                                    }
                                }
                            }
                        }
                    }
                },
                "bench-alert-receiver");
        receiver.start();
        LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(2)); // the receiver's assignment settles

        double before = evaluated();
        long start = System.nanoTime();
        long sentWindows = 0;
        int probes = 0;
        try (KafkaProducer<String, WindowMetricsEvent> load = producer(bootstrap, 5);
                KafkaProducer<String, WindowMetricsEvent> probe = producer(bootstrap, 0)) {
            List<WindowMetricsEvent> pending = new ArrayList<>();
            long end = start + TimeUnit.SECONDS.toNanos(seconds);
            long nextProbe = start;
            long probeEvery = TimeUnit.SECONDS.toNanos(1) / probesPerSecond;
            while (System.nanoTime() < end) {
                long elapsed = System.nanoTime() - start;
                long due = elapsed * rate / 1_000_000_000L;
                while (sentWindows < due) {
                    if (pending.isEmpty()) {
                        pending.addAll(generator.nextMinute());
                    }
                    WindowMetricsEvent w = pending.remove(pending.size() - 1);
                    load.send(new ProducerRecord<>(Topics.METRICS_WINDOWS, WindowGenerator.key(w), w));
                    sentWindows++;
                }
                if (System.nanoTime() >= nextProbe) {
                    WindowMetricsEvent w = probeWindow(probes++);
                    probeSentAt.put(w.getScopeKey(), System.nanoTime());
                    probe.send(new ProducerRecord<>(Topics.METRICS_WINDOWS, w.getScopeKey(), w));
                    nextProbe += probeEvery;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
        }
        double sentSeconds = (System.nanoTime() - start) / 1e9;
        // Let the service catch up for a moment, then count what it evaluated in the load period plus that moment.
        long catchUpDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (evaluated() - before < sentWindows + probes && System.nanoTime() < catchUpDeadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }
        double evaluatedSeconds = (System.nanoTime() - start) / 1e9;
        double evaluatedCount = evaluated() - before;
        LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(2));
        running.set(false);
        receiver.join();
        return new Result(
                sentWindows / sentSeconds,
                evaluatedCount / evaluatedSeconds,
                evaluatedCount,
                latencies,
                toEvaluated,
                toReceived,
                probes,
                alertsSeen[0],
                loadAverage());
    }

    private static WindowMetricsEvent probeWindow(int i) {
        Instant start = Instant.parse("2026-06-01T00:00:00Z").plusSeconds(60L * i);
        return WindowMetricsEvent.newBuilder()
                .setScopeType(ScopeType.TABLE)
                .setScopeKey("table:probe" + i)
                .setTable("probe" + i)
                .setWindowKind(WindowKind.TUMBLING)
                .setWindowStart(start)
                .setWindowEnd(start.plusSeconds(60))
                .setEmittedAt(Instant.now())
                .setEventCount(100)
                .setSuccessCount(100)
                .setFailureCount(0)
                .setDurationMaxMs(5_000.0)
                .build();
    }

    private void createProbeRule() throws IOException, InterruptedException {
        String body =
                """
                {"id": "%s", "name": "Benchmark probe", "metric": "durationMaxMs", "comparator": "GT",
                 "critical": {"threshold": 1000}, "forSeconds": 0, "scope": {"types": ["TABLE"]}}"""
                        .formatted(PROBE_RULE);
        HttpResponse<String> response = http.send(
                HttpRequest.newBuilder(URI.create(baseUrl + "/api/rules"))
                        .header("Authorization", "Bearer " + ADMIN_TOKEN)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 201) {
            throw new IllegalStateException("probe rule not created: " + response.statusCode() + " " + response.body());
        }
    }

    /** Count and total seconds of evaluated batches, from the service's batch timer. */
    private double[] batches() throws IOException, InterruptedException {
        String metrics = http.send(
                        HttpRequest.newBuilder(URI.create(baseUrl + "/q/metrics"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
        return new double[] {
            value(metrics, "rollguard_alert_batch_duration_seconds_count"),
            value(metrics, "rollguard_alert_batch_duration_seconds_sum")
        };
    }

    private static double value(String metrics, String name) {
        Matcher matcher = Pattern.compile("^" + name + "(\\{[^}]*})? ([0-9.eE+]+)", Pattern.MULTILINE)
                .matcher(metrics);
        return matcher.find() ? Double.parseDouble(matcher.group(2)) : 0;
    }

    /** The machine's 1-minute load average, which these figures depend on: the machine is shared. */
    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private double evaluated() throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(
                HttpRequest.newBuilder(URI.create(baseUrl + "/q/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        Matcher matcher = EVALUATED.matcher(response.body());
        return matcher.find() ? Double.parseDouble(matcher.group(1)) : 0;
    }

    private static KafkaProducer<String, WindowMetricsEvent> producer(String bootstrap, int lingerMs) {
        return new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ProducerConfig.LINGER_MS_CONFIG,
                        lingerMs,
                        ProducerConfig.BATCH_SIZE_CONFIG,
                        256 * 1024,
                        ProducerConfig.ACKS_CONFIG,
                        "1"),
                new StringSerializer(),
                new AvroSerde.AvroSerializer<>(WindowMetricsEvent.class));
    }

    private ServiceProcess launch(Path root, String database, int port, Path logFile) {
        List<String> jvm = new ArrayList<>(List.of("-Xmx512m"));
        // Extra options for the service's JVM, e.g. a flight recording: -Dbench.service.jvm-args="-XX:..."
        String extra = System.getProperty("bench.service.jvm-args", "").trim();
        if (!extra.isEmpty()) {
            jvm.addAll(List.of(extra.split("\\s+")));
        }
        Tokens tokens = new Tokens(ADMIN_TOKEN, null, null, null, null, null);
        return ServiceProcess.packaged(root, "alert-service")
                .port(port)
                .jvmArgs(jvm)
                .env(StackSettings.sharedInfra(tokens).environment("alert-service", database))
                .env("MP_MESSAGING_INCOMING_WINDOWS_GROUP_ID", "alert-service-bench-" + UUID.randomUUID())
                .log(logFile)
                .start();
    }

    private static void write(
            Path root,
            double evaluated,
            double drainSeconds,
            double drainRate,
            int rate,
            int seconds,
            int probesPerSecond,
            int cycle,
            Result steady,
            double batchMillis,
            double windowsPerBatch)
            throws IOException {
        List<Double> sorted = new ArrayList<>(steady.latenciesMs());
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        String code = ResultsFile.codeVersion(root);
        String lastRun = String.format(
                Locale.ROOT,
                """
                Measured %s with `./mvnw -f bench/alert-service/pom.xml compile exec:exec` on %d cores, Java %s, code %s.

                The packaged alert-service (`java -jar quarkus-run.jar`, production configuration from the environment,
                `-Xmx512m`) against a real Kafka broker (3 partitions of `metrics.windows`) and PostgreSQL from
                embedded-infra, all on the same machine as the load generator (a shared machine: 1-minute load
                average %s at the end of the steady phase). Rules: the default pack (10 rules, one comparative) plus
                one probe rule. Window mix per event-time minute: global, 20 tables, 6 platforms, 50 flags x 2
                cohorts; each table degrades and each flag regresses once every %,d event-time minutes, so alerts
                fire and resolve during the run.

                ### Throughput (backlog drain)

                | windows | seconds | windows/s |
                | --- | --- | --- |
                | %,.0f | %.1f | %,.0f |

                ### Steady load with latency probes

                Target %,d windows/s for %d s; sent %,.0f windows/s, evaluated %,.0f windows/s (including the catch-up
                after the load stopped), in batches of %.0f windows evaluated and stored in %.1f ms on average.
                %d probe windows (%d/s), each completing a `for: 0` condition; %d FIRING probe alerts received; %d
                alert events seen on the topic in all.

                | probe latency (ms) | n | p50 | p90 | p99 | max |
                | --- | --- | --- | --- | --- | --- |
                %s
                %s
                %s

                "sent -> evaluated" is the service's AlertEvent.emittedAt minus the probe's emittedAt (Kafka in,
                consumer queue, evaluation); "evaluated -> received" is the outbox transaction, the relay, Kafka out
                and the benchmark's consumer. Same machine, same clock; millisecond resolution.
                """,
                now,
                Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"),
                code,
                steady.load(),
                cycle,
                evaluated,
                drainSeconds,
                drainRate,
                rate,
                seconds,
                steady.sentRate(),
                steady.evaluatedRate(),
                windowsPerBatch,
                batchMillis,
                steady.probes(),
                probesPerSecond,
                sorted.size(),
                steady.alertsSeen(),
                row("window sent -> AlertEvent received", steady.latenciesMs()),
                row("window sent -> evaluated", steady.toEvaluatedMs()),
                row("evaluated -> AlertEvent received", steady.toReceivedMs()));
        String historyRow = String.format(
                Locale.ROOT,
                "| %s | %s | %s | %,.0f/s | %,.0f/s at %,d/s offered, batches of %.0f in %.1f ms | %s | %s | %s |",
                now.toString().replace('T', ' ').replace("Z", ""),
                code,
                steady.load(),
                drainRate,
                steady.evaluatedRate(),
                rate,
                windowsPerBatch,
                batchMillis,
                percentiles(steady.latenciesMs(), "%.1f", true),
                percentiles(steady.toEvaluatedMs(), "%.0f", false),
                percentiles(steady.toReceivedMs(), "%.0f", false));
        Path results = root.resolve(System.getProperty("bench.output", "bench/results/alert-service.md"));
        ResultsFile.read(results, OPENING)
                .replace(LAST_RUN, lastRun)
                .addRow(HISTORY, HISTORY_HEAD, historyRow)
                .write();
        System.out.println("## " + LAST_RUN + "\n\n" + lastRun + "\n" + historyRow);
        log("written to %s", results);
    }

    /** p50 / p90 / p99, and the maximum in brackets when {@code max}, for a row of the run history. */
    private static String percentiles(List<Double> values, String format, boolean max) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        String p = String.format(
                Locale.ROOT,
                format + " / " + format + " / " + format,
                percentile(sorted, 0.50),
                percentile(sorted, 0.90),
                percentile(sorted, 0.99));
        return max
                ? p
                        + String.format(
                                Locale.ROOT,
                                " (" + format + ")",
                                sorted.isEmpty() ? Double.NaN : sorted.get(sorted.size() - 1))
                : p;
    }

    private static String row(String name, List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return String.format(
                Locale.ROOT,
                "| %s | %d | %.1f | %.1f | %.1f | %.1f |",
                name,
                sorted.size(),
                percentile(sorted, 0.50),
                percentile(sorted, 0.90),
                percentile(sorted, 0.99),
                sorted.isEmpty() ? Double.NaN : sorted.get(sorted.size() - 1));
    }

    private static double percentile(List<Double> sorted, double p) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        int index = (int) Math.ceil(p * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }

    private static void log(String format, Object... args) {
        System.out.printf(Locale.ROOT, "[bench] " + format + "%n", args);
    }
}
