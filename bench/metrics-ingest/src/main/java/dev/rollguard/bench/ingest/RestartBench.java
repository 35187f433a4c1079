package dev.rollguard.bench.ingest;

import dev.rollguard.infra.EmbeddedKafka;
import dev.rollguard.ingest.topology.DeadLetterHeaders;
import dev.rollguard.ingest.topology.TopicNames;
import dev.rollguard.ingest.topology.TopologySettings;
import dev.rollguard.schemas.event.Platform;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.event.SyncKind;
import dev.rollguard.schemas.event.UploadEvent;
import dev.rollguard.schemas.event.WindowKind;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import dev.rollguard.schemas.serde.AvroCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Restart under load: the metrics-ingest topology at the demo's timings (5 s windows, 5 s grace, 15 s idle timeout,
 * hopping 15 s / 5 s) on three input partitions runs in a child JVM ({@link RestartWorker}) while sync and upload
 * events stream in at a fixed rate with their event time set when they are sent. The worker is killed with SIGKILL
 * twice and started again on its state directory each time, like a pod rescheduled with its volume. Measured: events
 * acknowledged by the broker, events counted in the closed {@code global} windows, dead letters by code, late events
 * (input and merge), Kafka Streams' dropped records, and how long after its end plus grace each window was emitted,
 * before, during and after the restarts.
 */
final class RestartBench {

    static final int PARTITIONS = 3;
    static final Duration WINDOW = Duration.ofSeconds(5);
    static final Duration GRACE = Duration.ofSeconds(5);
    static final Duration IDLE = Duration.ofSeconds(15);
    /** Seconds of traffic before the first kill, and after the first restart before the second. */
    static final int KILL_AFTER_SECONDS = 10;

    /** The demo's timings on {@link #PARTITIONS} input partitions, as {@code bin/rollguard demo} runs metrics-ingest. */
    static TopologySettings settings(String prefix) {
        return TopologySettings.of(TopicNames.DEFAULT.prefixed(prefix), WINDOW, GRACE)
                .withHopping(true, Duration.ofSeconds(15), Duration.ofSeconds(5))
                .withInputPartitions(PARTITIONS)
                .withIdleTimeout(IDLE);
    }

    /** One tumbling {@code global} window as read from metrics.windows. */
    record Seen(long start, long end, long events, long emittedAt, long seenAt) {}

    /** A worker's JVM and its log. */
    record Worker(Process process, Path log, long launchedAt) {}

    static void run(Path results) throws Exception {
        int rate = Integer.getInteger("bench.restart.rate", 400);
        int seconds = Integer.getInteger("bench.restart.seconds", 60);
        Path root = Scratch.directory("ingest-restart-bench");
        String loadBefore = IngestBench.loadAverage();
        String prefix = "restart.";
        TopicNames topics = TopicNames.DEFAULT.prefixed(prefix);
        List<Worker> workers = new ArrayList<>();
        StringBuilder report = new StringBuilder();
        try (EmbeddedKafka kafka = EmbeddedKafka.start(root.resolve("kafka"), 0, 0)) {
            String bootstrap = kafka.bootstrapServers();
            kafka.createTopics(List.of(
                    new NewTopic(topics.sync(), PARTITIONS, (short) 1),
                    new NewTopic(topics.upload(), PARTITIONS, (short) 1),
                    new NewTopic(topics.flags(), 1, (short) 1),
                    new NewTopic(topics.dlq(), 1, (short) 1),
                    new NewTopic(topics.windows(), PARTITIONS, (short) 1)));
            IngestBench.publishFlags(bootstrap, topics.flags(), 2, 2);
            Path state = Files.createDirectories(root.resolve("state"));
            String appId = "bench-restart";

            Worker first = launch(bootstrap, appId, prefix, state, root, workers);
            long firstRunning = awaitRunning(first, 1);
            int allTasks = runningTasks(first.log()).stream()
                    .mapToInt(Integer::intValue)
                    .max()
                    .orElseThrow();
            System.out.printf(
                    "worker RUNNING with %d tasks after %d ms%n", allTasks, firstRunning - first.launchedAt());

            Map<Long, List<Seen>> windows = new ConcurrentHashMap<>();
            AtomicBoolean reading = new AtomicBoolean(true);
            Thread reader = new Thread(() -> read(bootstrap, topics.windows(), windows, reading), "windows-reader");
            reader.start();

            Map<Long, LongAdder> acknowledged = new ConcurrentHashMap<>();
            AtomicLong failed = new AtomicLong();
            AtomicLong lastSent = new AtomicLong();
            long sendStart = System.currentTimeMillis();
            Thread sender =
                    new Thread(() -> send(bootstrap, topics, rate, seconds, acknowledged, failed, lastSent), "sender");
            sender.start();

            long[] killedAt = new long[2];
            long[] runningAgainAt = new long[2];
            long next = sendStart + KILL_AFTER_SECONDS * 1000L;
            String loadDuring = null;
            for (int kill = 0; kill < 2; kill++) {
                sleepUntil(next);
                Worker victim = workers.get(workers.size() - 1);
                killedAt[kill] = System.currentTimeMillis();
                victim.process().destroyForcibly();
                if (!victim.process().waitFor(10, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the killed worker did not end");
                }
                Worker restarted = launch(bootstrap, appId, prefix, state, root, workers);
                runningAgainAt[kill] = awaitRunning(restarted, allTasks);
                loadDuring = IngestBench.loadAverage();
                System.out.printf(
                        "kill %d at t=%.1f s; all %d tasks RUNNING again %d ms later%n",
                        kill + 1, (killedAt[kill] - sendStart) / 1e3, allTasks, runningAgainAt[kill] - killedAt[kill]);
                next = runningAgainAt[kill] + KILL_AFTER_SECONDS * 1000L;
            }
            sender.join();
            long sendEnd = lastSent.get();
            String loadAfterSending = IngestBench.loadAverage();

            // With no more events, the last windows close by the idle timeout: end + grace + idle after the last event.
            long deadline = System.currentTimeMillis() + TimeUnit.MINUTES.toMillis(3);
            while (!windows.keySet().containsAll(acknowledged.keySet()) && System.currentTimeMillis() < deadline) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
            }
            // Room for a repeated emission of the last windows to show up.
            LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(3));
            reading.set(false);
            reader.join();
            Worker last = workers.get(workers.size() - 1);
            last.process().destroy();
            if (!last.process().waitFor(60, TimeUnit.SECONDS)) {
                last.process().destroyForcibly();
            }
            Map<String, Long> deadLetters = deadLetterCodes(bootstrap, topics.dlq());

            report.append(section(
                    rate,
                    seconds,
                    allTasks,
                    sendStart,
                    sendEnd,
                    killedAt,
                    runningAgainAt,
                    acknowledged,
                    failed.get(),
                    windows,
                    deadLetters,
                    workers,
                    new String[] {loadBefore, loadDuring, loadAfterSending, IngestBench.loadAverage()}));
        } finally {
            workers.forEach(w -> w.process().destroyForcibly());
        }
        Files.createDirectories(results.toAbsolutePath().getParent());
        if (Files.exists(results)) {
            Files.writeString(results, "\n" + report, StandardOpenOption.APPEND);
        } else {
            Files.writeString(results, "# metrics-ingest benchmark\n\n" + report);
        }
        System.out.println(report);
    }

    private static String section(
            int rate,
            int seconds,
            int allTasks,
            long sendStart,
            long sendEnd,
            long[] killedAt,
            long[] runningAgainAt,
            Map<Long, LongAdder> acknowledged,
            long failed,
            Map<Long, List<Seen>> windows,
            Map<String, Long> deadLetters,
            List<Worker> workers,
            String[] load) {
        Map<Long, Long> expected = new TreeMap<>();
        acknowledged.forEach((start, count) -> expected.put(start, count.sum()));
        long sent = expected.values().stream().mapToLong(Long::longValue).sum();
        long counted = 0;
        int differing = 0;
        int repeated = 0;
        int missing = 0;
        for (Map.Entry<Long, Long> e : expected.entrySet()) {
            List<Seen> seen = windows.get(e.getKey());
            if (seen == null) {
                missing++;
                continue;
            }
            counted += seen.get(0).events();
            if (seen.get(0).events() != e.getValue()) {
                differing++;
            }
        }
        for (List<Seen> seen : windows.values()) {
            if (seen.size() > 1) {
                repeated++;
            }
        }
        long unexpected = windows.entrySet().stream()
                .filter(e -> !expected.containsKey(e.getKey()))
                .mapToLong(e -> e.getValue().get(0).events())
                .sum();
        // Late at input, late at merge, dropped records: summed over the worker's runs.
        long[] counts = new long[3];
        for (Worker worker : workers) {
            long[] run = lastMetrics(worker.log());
            for (int i = 0; i < 3; i++) {
                counts[i] += run[i];
            }
        }

        // Phases by the time each window closes (end + grace): before the first kill; from it until every task runs
        // again after the second; after that while events still stream in; after the last event (closed by the idle
        // timeout, so end + grace + idle at the latest).
        long graceMs = GRACE.toMillis();
        Map<String, List<Seen>> phases = new LinkedHashMap<>();
        for (String phase : List.of("before the first kill", "during the restarts", "after the restarts", "tail")) {
            phases.put(phase, new ArrayList<>());
        }
        for (Map.Entry<Long, List<Seen>> e : new TreeMap<>(windows).entrySet()) {
            if (!expected.containsKey(e.getKey())) {
                continue;
            }
            Seen w = e.getValue().get(0);
            long closes = w.end() + graceMs;
            String phase;
            if (closes < killedAt[0]) {
                phase = "before the first kill";
            } else if (closes <= runningAgainAt[1]) {
                phase = "during the restarts";
            } else if (closes <= sendEnd) {
                phase = "after the restarts";
            } else {
                phase = "tail";
            }
            phases.get(phase).add(w);
        }

        StringBuilder s = new StringBuilder();
        s.append("## Restart under load\n\n")
                .append("Measured ")
                .append(DateTimeFormatter.ISO_LOCAL_DATE_TIME.format(
                        Instant.now().atOffset(ZoneOffset.UTC).withNano(0)))
                .append(" UTC on this machine (")
                .append(Runtime.getRuntime().availableProcessors())
                .append(" cores, Java ")
                .append(System.getProperty("java.version"))
                .append(
                        "), one embedded Kafka 4.1.1 broker in the benchmark's JVM. The topology at the demo's timings (")
                .append(WINDOW.toSeconds())
                .append(" s windows, ")
                .append(GRACE.toSeconds())
                .append(" s grace, ")
                .append(IDLE.toSeconds())
                .append(" s idle timeout, hopping 15 s / 5 s) on ")
                .append(PARTITIONS)
                .append(" input partitions runs in a child JVM (exactly_once_v2, 2 stream threads, ")
                .append(allTasks)
                .append(" tasks, session timeout 6 s, transaction timeout 5 s); ")
                .append(rate)
                .append(
                        " events/s (two syncs to one upload, 500 clients, two flags under rollout) with event time = send")
                .append(" time for ")
                .append(seconds)
                .append(" s; the worker is killed with SIGKILL ")
                .append(KILL_AFTER_SECONDS)
                .append(" s into the stream and again ")
                .append(KILL_AFTER_SECONDS)
                .append(
                        " s after its restart had every task running, and restarted on its state directory each time.\n")
                .append(
                        "Run with `./mvnw -f bench/metrics-ingest/pom.xml compile exec:exec -Dbench.scenario=restart`.\n\n")
                .append("| figure | value |\n| --- | --- |\n")
                .append(IngestBench.row(
                        "events sent and acknowledged by the broker",
                        String.format("%d (%d not acknowledged)", sent, failed)))
                .append(IngestBench.row(
                        "events counted in the closed `global` windows",
                        String.format(
                                "%d in %d windows; %d windows differ from what was acknowledged, %d missing",
                                counted, expected.size() - missing, differing, missing)))
                .append(IngestBench.row("windows emitted more than once", Integer.toString(repeated)))
                .append(IngestBench.row(
                        "events in `global` windows outside the acknowledged ones", Long.toString(unexpected)))
                .append(IngestBench.row("dead letters in telemetry.dlq, by code", codes(deadLetters)))
                .append(IngestBench.row(
                        "late events: input (dead-lettered `LATE`) / merge (partials after their window was emitted)",
                        counts[0] + " / " + counts[1]))
                .append(IngestBench.row(
                        "Kafka Streams dropped records (`dropped-records-total`)", Long.toString(counts[2])));
        for (int k = 0; k < 2; k++) {
            s.append(IngestBench.row(
                    "kill " + (k + 1) + ": at t, then every task RUNNING again after",
                    String.format(
                            "t = %.1f s, %.1f s",
                            (killedAt[k] - sendStart) / 1e3, (runningAgainAt[k] - killedAt[k]) / 1e3)));
        }
        s.append(IngestBench.row(
                        "load average: before / at the second restart / at the last event / at the end",
                        String.join(" / ", load)))
                .append("\nHow long after its end + grace each `global` window was emitted (`emittedAt`) and read by a")
                .append(" read_committed consumer, by when it closed:\n\n")
                .append(
                        "| windows closing | windows | emitted: p50 / p99 / max | read: max |\n| --- | --- | --- | --- |\n");
        phases.forEach((phase, seen) -> {
            List<Long> emitted = new ArrayList<>();
            List<Long> read = new ArrayList<>();
            seen.forEach(w -> {
                emitted.add(w.emittedAt() - (w.end() + graceMs));
                read.add(w.seenAt() - (w.end() + graceMs));
            });
            String label =
                    switch (phase) {
                        case "during the restarts" -> "from the first kill until every task ran again after the second";
                        case "after the restarts" -> "after that, until the last event was sent";
                        case "tail" -> "after the last event (closed by the idle timeout)";
                        default -> phase;
                    };
            s.append("| ")
                    .append(label)
                    .append(" | ")
                    .append(seen.size())
                    .append(" | ")
                    .append(IngestBench.percentiles(emitted))
                    .append(" | ")
                    .append(read.isEmpty() ? "-" : Collections.max(read) + " ms")
                    .append(" |\n");
        });
        return s.toString();
    }

    private static String codes(Map<String, Long> deadLetters) {
        if (deadLetters.isEmpty()) {
            return "none";
        }
        List<String> parts = new ArrayList<>();
        deadLetters.forEach((code, n) -> parts.add(code + ": " + n));
        return String.join(", ", parts);
    }

    private static Worker launch(String bootstrap, String appId, String prefix, Path state, Path root, List<Worker> all)
            throws IOException {
        Path log = root.resolve("worker-" + all.size() + ".log");
        Files.createFile(log);
        Worker worker =
                new Worker(RestartWorker.launch(bootstrap, appId, prefix, state, log), log, System.currentTimeMillis());
        all.add(worker);
        return worker;
    }

    /** When the worker first reported RUNNING with at least {@code tasks} active tasks. */
    private static long awaitRunning(Worker worker, int tasks) {
        long deadline = System.currentTimeMillis() + TimeUnit.MINUTES.toMillis(3);
        while (System.currentTimeMillis() < deadline) {
            if (runningTasks(worker.log()).stream().anyMatch(n -> n >= tasks)) {
                return System.currentTimeMillis();
            }
            if (!worker.process().isAlive()) {
                throw new IllegalStateException("the worker ended: see " + worker.log());
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
        throw new IllegalStateException("the worker did not run " + tasks + " tasks within 3 minutes: " + worker.log());
    }

    private static List<Integer> runningTasks(Path log) {
        return lines(log).stream()
                .filter(l -> l.startsWith(RestartWorker.RUNNING))
                .map(l -> Integer.parseInt(
                        l.substring(RestartWorker.RUNNING.length()).trim()))
                .toList();
    }

    /** The last counts a worker printed: late at input, late at merge, dropped records. */
    private static long[] lastMetrics(Path log) {
        long[] counts = new long[3];
        for (String line : lines(log)) {
            if (line.startsWith(RestartWorker.METRICS)) {
                String[] fields =
                        line.substring(RestartWorker.METRICS.length()).trim().split(" ");
                for (int i = 0; i < 3; i++) {
                    counts[i] = Long.parseLong(fields[i].substring(fields[i].indexOf('=') + 1));
                }
            }
        }
        return counts;
    }

    private static List<String> lines(Path log) {
        try {
            return Files.readAllLines(log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void sleepUntil(long wallMs) {
        long wait = wallMs - System.currentTimeMillis();
        if (wait > 0) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(wait));
        }
    }

    /**
     * Sends syncs and uploads at {@code rate} for {@code seconds}, each with its event time set when it is sent,
     * counting every acknowledged one in its tumbling window.
     */
    private static void send(
            String bootstrap,
            TopicNames topics,
            int rate,
            int seconds,
            Map<Long, LongAdder> acknowledged,
            AtomicLong failed,
            AtomicLong lastSent) {
        long windowMs = WINDOW.toMillis();
        try (KafkaProducer<String, byte[]> producer = IngestBench.producer(bootstrap)) {
            long start = System.nanoTime();
            long total = (long) rate * seconds;
            for (long i = 0; i < total; i++) {
                long due = start + i * (1_000_000_000L / rate);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                Instant now = Instant.now();
                String client = "client-" + (i % 500);
                boolean success = i % 13 != 0;
                ProducerRecord<String, byte[]> record;
                if (i % 3 == 0) {
                    UploadEvent event = UploadEvent.newBuilder()
                            .setEventId(UUID.randomUUID().toString())
                            .setEventTime(now)
                            .setClientId(client)
                            .setPlatform(Platform.IOS)
                            .setSuccess(success)
                            .setDurationMs(40)
                            .setBytes(2048)
                            .build();
                    record = new ProducerRecord<>(
                            topics.upload(),
                            client,
                            AvroCodec.of(UploadEvent.class).encode(event));
                } else {
                    SyncEvent event = SyncEvent.newBuilder()
                            .setEventId(UUID.randomUUID().toString())
                            .setEventTime(now)
                            .setClientId(client)
                            .setPlatform(Platform.WEB)
                            .setSyncKind(SyncKind.INCREMENTAL)
                            .setTable("table-" + (i % 5))
                            .setSuccess(success)
                            .setDurationMs(25 + i % 400)
                            .setErrorCode(success ? null : "TIMEOUT")
                            .setErrorMessage(success ? null : "sync timed out")
                            .build();
                    record = new ProducerRecord<>(
                            topics.sync(), client, AvroCodec.of(SyncEvent.class).encode(event));
                }
                long window = Math.floorDiv(now.toEpochMilli(), windowMs) * windowMs;
                producer.send(record, (metadata, error) -> {
                    if (error == null) {
                        acknowledged
                                .computeIfAbsent(window, w -> new LongAdder())
                                .increment();
                    } else {
                        failed.incrementAndGet();
                    }
                });
                lastSent.set(now.toEpochMilli());
            }
            producer.flush();
        }
    }

    /** Reads the tumbling {@code global} windows of metrics.windows (read_committed) until {@code reading} clears. */
    private static void read(String bootstrap, String topic, Map<Long, List<Seen>> windows, AtomicBoolean reading) {
        try (var consumer = new KafkaConsumer<>(
                Map.<String, Object>of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                        ConsumerConfig.GROUP_ID_CONFIG, "bench-restart-reader",
                        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new StringDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            while (reading.get()) {
                for (var record : consumer.poll(Duration.ofMillis(100))) {
                    long now = System.currentTimeMillis();
                    WindowMetricsEvent w =
                            AvroCodec.of(WindowMetricsEvent.class).decode(record.value());
                    if (w.getWindowKind() == WindowKind.TUMBLING && "global".equals(w.getScopeKey())) {
                        long start = w.getWindowStart().toEpochMilli();
                        windows.computeIfAbsent(start, s -> Collections.synchronizedList(new ArrayList<>()))
                                .add(new Seen(
                                        start,
                                        w.getWindowEnd().toEpochMilli(),
                                        w.getEventCount(),
                                        w.getEmittedAt().toEpochMilli(),
                                        now));
                    }
                }
            }
        }
    }

    /** The committed dead letters of {@code topic}, counted by code. */
    private static Map<String, Long> deadLetterCodes(String bootstrap, String topic) {
        Map<String, Long> codes = new TreeMap<>();
        try (var consumer = new KafkaConsumer<>(
                Map.<String, Object>of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        "read_committed"),
                new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp))) {
                for (var record : consumer.poll(Duration.ofMillis(200))) {
                    codes.merge(
                            String.valueOf(DeadLetterHeaders.read(record.headers(), DeadLetterHeaders.CODE)),
                            1L,
                            Long::sum);
                }
            }
        }
        return codes;
    }

    private RestartBench() {}
}
