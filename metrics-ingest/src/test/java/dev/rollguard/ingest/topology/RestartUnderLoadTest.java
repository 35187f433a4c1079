package dev.rollguard.ingest.topology;

import static dev.rollguard.ingest.TelemetryFixtures.sync;
import static dev.rollguard.ingest.TelemetryFixtures.upload;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.infra.SharedInfra;
import dev.rollguard.infra.TopicContents;
import dev.rollguard.ingest.KafkaTestClient;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.event.UploadEvent;
import dev.rollguard.schemas.event.WindowKind;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import dev.rollguard.schemas.serde.AvroCodec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
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
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Restarts lose nothing: metrics-ingest's topology at the demo's timings (5 s windows, 5 s grace, 15 s idle timeout,
 * three input partitions) runs in a child JVM that is killed with SIGKILL twice, and restarted on its state directory
 * each time (the second time after a downtime longer than window, grace and idle timeout together), while sync and upload events stream in at 400 events/s with their event time set when they are sent, and
 * two threads of this JVM keep the machine's cores busy. Every event the broker acknowledged must be counted exactly
 * once in the closed windows, and none may be late: the backlog read after each restart delays the windows, it does
 * not miss them.
 */
class RestartUnderLoadTest {

    static final int RATE_PER_SECOND = 400;
    static final Duration STREAM_FOR = Duration.ofSeconds(40);

    final List<Process> processes = new ArrayList<>();
    final AtomicBoolean hogging = new AtomicBoolean(true);
    /** The worker's state and log: deleted after a test that passed, kept after one that failed. */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path scratch;

    @AfterEach
    void stop() throws InterruptedException {
        hogging.set(false);
        for (Process process : processes) {
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void twoKillsUnderCpuLoadLoseAndLateNothing() throws Exception {
        String bootstrap = SharedInfra.kafkaBootstrap();
        String id = UUID.randomUUID().toString().substring(0, 8);
        String prefix = "restart-" + id + ".";
        String appId = "metrics-ingest-restart-" + id;
        TopicNames topics = TopicNames.DEFAULT.prefixed(prefix);
        StreamsWorker.createTopics(bootstrap, topics);
        Path dir = scratch;
        Path state = Files.createDirectories(dir.resolve("state"));
        Path log = dir.resolve("worker.log");
        Files.createFile(log);

        for (int i = 0; i < 2; i++) {
            Thread hog = new Thread(RestartUnderLoadTest.this::spin, "cpu-hog-" + i);
            hog.setDaemon(true);
            hog.start();
        }
        Process worker = launch(bootstrap, appId, prefix, state, log);
        Awaitility.await().atMost(Duration.ofSeconds(90)).until(() -> running(log) >= 1);

        Map<Long, LongAdder> acknowledged = new ConcurrentHashMap<>();
        AtomicLong failed = new AtomicLong();
        long windowMs = 5_000;
        Thread sender = new Thread(() -> stream(topics, windowMs, acknowledged, failed), "telemetry-sender");
        sender.start();

        // Two crashes while the events stream in, each followed by a restart on the same state directory, like a pod
        // rescheduled with its volume. The second instance stays down longer than a window, its grace and the idle
        // timeout together: the backlog it finds must still count, however long the restart took.
        TopologySettings demo = StreamsWorker.demoSettings(prefix);
        Duration longDowntime =
                demo.windowSize().plus(demo.grace()).plus(demo.idleTimeout()).plusSeconds(2);
        for (int kill = 1; kill <= 2; kill++) {
            long before = running(log);
            LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(10));
            worker.destroyForcibly();
            assertThat(worker.waitFor(10, TimeUnit.SECONDS)).isTrue();
            if (kill == 2) {
                LockSupport.parkNanos(longDowntime.toNanos());
            }
            worker = launch(bootstrap, appId, prefix, state, log);
            long expectedRunning = before + 1;
            Awaitility.await().atMost(Duration.ofSeconds(90)).until(() -> running(log) >= expectedRunning);
        }
        sender.join();
        assertThat(failed.get()).as("events the broker did not acknowledge").isZero();
        long sent = acknowledged.values().stream().mapToLong(LongAdder::sum).sum();
        assertThat(sent).isGreaterThan(RATE_PER_SECOND * STREAM_FOR.toSeconds() / 2);

        // With no more events, every window closes by the idle timeout: end + grace + idle after the last event.
        Map<Long, Long> expected = new TreeMap<>();
        acknowledged.forEach((start, count) -> expected.put(start, count.sum()));
        Map<Long, Long> counted = new TreeMap<>();
        List<String> repeated = new ArrayList<>();
        try {
            KafkaTestClient.await(
                    topics.windows(),
                    r -> {
                        WindowMetricsEvent w =
                                AvroCodec.of(WindowMetricsEvent.class).decode(r.value());
                        return w.getWindowKind() == WindowKind.TUMBLING
                                && w.getScopeKey().equals("global")
                                && w.getEventCount() > 0;
                    },
                    found -> {
                        counted.clear();
                        repeated.clear();
                        for (var record : found) {
                            WindowMetricsEvent w =
                                    AvroCodec.of(WindowMetricsEvent.class).decode(record.value());
                            if (counted.put(w.getWindowStart().toEpochMilli(), w.getEventCount()) != null) {
                                repeated.add(w.getWindowStart().toString());
                            }
                        }
                        return counted.keySet().containsAll(expected.keySet());
                    },
                    Duration.ofSeconds(180));
        } catch (ConditionTimeoutException e) {
            // The comparison below says which windows are missing or wrong.
        }
        assertThat(repeated).as("windows emitted more than once").isEmpty();
        assertThat(counted)
                .as("events counted per window; dead letters by code: %s", deadLetterCodes(bootstrap, topics.dlq()))
                .isEqualTo(expected);
        assertThat(committedRecords(bootstrap, topics.dlq()))
                .as("dead letters (late or invalid)")
                .isZero();
    }

    /** Sends sync and upload events at {@link #RATE_PER_SECOND}, counting each acknowledged one in its window. */
    void stream(TopicNames topics, long windowMs, Map<Long, LongAdder> acknowledged, AtomicLong failed) {
        try (KafkaProducer<String, byte[]> producer = KafkaTestClient.producer()) {
            long start = System.nanoTime();
            long total = RATE_PER_SECOND * STREAM_FOR.toSeconds();
            for (int i = 0; i < total; i++) {
                long due = start + i * (1_000_000_000L / RATE_PER_SECOND);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                Instant now = Instant.now();
                String client = "client-" + (i % 500);
                ProducerRecord<String, byte[]> record;
                if (i % 3 == 0) {
                    UploadEvent event =
                            upload(client, now, i % 17 != 0, 40, 2048).build();
                    record = new ProducerRecord<>(
                            topics.upload(),
                            client,
                            AvroCodec.of(UploadEvent.class).encode(event));
                } else {
                    SyncEvent event = sync(client, now, i % 13 != 0, 25).build();
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
            }
            producer.flush();
        }
    }

    /** The dead letters of {@code topic} counted by code. */
    static Map<String, Long> deadLetterCodes(String bootstrap, String topic) {
        Map<String, Long> codes = new TreeMap<>();
        for (var record : TopicContents.readAll(bootstrap, topic)) {
            String code = DeadLetterHeaders.read(record.headers(), DeadLetterHeaders.CODE);
            codes.merge(String.valueOf(code), 1L, Long::sum);
            if (codes.get(String.valueOf(code)) <= 3) {
                // The first reasons of each code say how far ahead the watermark was.
                codes.put(
                        code + ": " + DeadLetterHeaders.read(record.headers(), DeadLetterHeaders.REASON)
                                + " (record time " + java.time.Instant.ofEpochMilli(record.timestamp()) + ")",
                        0L);
            }
        }
        return codes;
    }

    /** Committed records in {@code topic}, read to its end. */
    static long committedRecords(String bootstrap, String topic) {
        return TopicContents.readAll(bootstrap, topic).size();
    }

    Process launch(String bootstrap, String appId, String prefix, Path state, Path log) throws Exception {
        Process process = StreamsWorker.launch(bootstrap, appId, prefix, state, log, "demo");
        processes.add(process);
        return process;
    }

    static long running(Path log) throws Exception {
        return ExactlyOnceTest.runningMarkers(log, true);
    }

    /** Keeps one core busy until the test ends. */
    void spin() {
        long x = 0;
        while (hogging.get()) {
            x += System.nanoTime() % 7;
        }
        if (x == 42) {
            System.out.print("");
        }
    }
}
