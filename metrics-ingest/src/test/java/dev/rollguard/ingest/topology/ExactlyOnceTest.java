package dev.rollguard.ingest.topology;

import static dev.rollguard.ingest.TelemetryFixtures.sync;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.infra.SharedInfra;
import dev.rollguard.ingest.KafkaTestClient;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.event.WindowKind;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import dev.rollguard.schemas.serde.AvroCodec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly-once across a crash, on the real broker. Two instances of the topology share the input partitions: one
 * in a child JVM, killed with SIGKILL (kill -9) while events stream in, the other in this JVM. The survivor takes
 * the dead instance's partitions over (consumer-group rebalance, state restored from the changelogs); the killed
 * instance is then restarted on its state directory. The closed windows must count every distinct event exactly
 * once: nothing lost with the killed instance's open transaction, nothing counted twice when its input is
 * reprocessed, duplicates sent by clients dropped across the crash too.
 *
 * <p>What is simulated: the crash is a real SIGKILL of a real process, but both instances run on one machine and
 * the broker never fails.
 */
class ExactlyOnceTest {

    static final int EVENTS = 3000;
    static final int TABLES = 5;

    final List<Process> processes = new ArrayList<>();
    KafkaStreams survivor;
    /** The workers' state and log: deleted after a test that passed, kept after one that failed. */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path scratch;

    @AfterEach
    void stop() throws InterruptedException {
        for (Process process : processes) {
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
        if (survivor != null) {
            survivor.close(Duration.ofSeconds(10));
        }
    }

    Process worker(String bootstrap, String appId, String prefix, Path stateDir, Path log) throws IOException {
        Process process = StreamsWorker.launch(bootstrap, appId, prefix, stateDir, log, "exactly-once");
        processes.add(process);
        return process;
    }

    static long runningMarkers(Path log, boolean withTasks) throws IOException {
        return Files.readAllLines(log).stream()
                .filter(l -> l.startsWith("RUNNING"))
                .filter(l -> !withTasks || !l.equals("RUNNING tasks=0"))
                .count();
    }

    @Test
    void killingAnInstanceMidStreamNeitherLosesNorDoubleCounts() throws Exception {
        String bootstrap = SharedInfra.kafkaBootstrap();
        String id = UUID.randomUUID().toString().substring(0, 8);
        String prefix = "eos-" + id + ".";
        String appId = "metrics-ingest-eos-" + id;
        TopicNames topics = TopicNames.DEFAULT.prefixed(prefix);
        StreamsWorker.createTopics(bootstrap, topics);
        Path dir = scratch;
        Path stateA = Files.createDirectories(dir.resolve("a"));
        Path log = dir.resolve("worker.log");
        Files.createFile(log);

        // The instance to be killed starts alone, so it hosts every task (input, dedup and window aggregation).
        Process a = worker(bootstrap, appId, prefix, stateA, log);
        Awaitility.await().atMost(Duration.ofSeconds(90)).until(() -> runningMarkers(log, true) > 0);

        // Event times spread over three 1 s windows ten minutes ago; the 5 min grace keeps every one of them on time
        // however the crash reorders processing, so the counts check exactly-once, not lateness. Five tables put
        // scopes on every partition of the repartition topic.
        Instant base = Instant.now().minus(Duration.ofMinutes(10)).truncatedTo(ChronoUnit.SECONDS);
        Map<String, Long> expected = new TreeMap<>();
        List<SyncEvent> events = events(base, EVENTS, expected);
        AtomicInteger progress = new AtomicInteger();
        try (KafkaProducer<String, byte[]> producer = KafkaTestClient.producer()) {
            sendPaced(producer, topics.sync(), events, 0, EVENTS / 3, progress);
            Awaitility.await()
                    .atMost(Duration.ofSeconds(60))
                    .until(() -> committed(bootstrap, appId, topics.sync()) >= EVENTS / 6);
            // The second third streams in while the instance is killed with SIGKILL in the middle of it, with
            // transactions open on its input, repartition, changelog and output partitions.
            Thread sender =
                    new Thread(() -> sendPaced(producer, topics.sync(), events, EVENTS / 3, 2 * EVENTS / 3, progress));
            sender.start();
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> progress.get() >= EVENTS / 2);
            a.destroyForcibly();
            assertThat(a.waitFor(10, TimeUnit.SECONDS)).isTrue();
            // A second instance joins and takes every partition over (rebalance, state restored from changelogs).
            survivor = StreamsWorker.start(bootstrap, appId, prefix, Files.createDirectories(dir.resolve("b")));
            sender.join();
            Awaitility.await().atMost(Duration.ofSeconds(90)).until(() -> lag(bootstrap, appId, topics.sync()) == 0);
            // The killed instance comes back on its state directory, like a pod rescheduled with its volume, and
            // the two share the last third.
            worker(bootstrap, appId, prefix, stateA, log);
            Awaitility.await().atMost(Duration.ofSeconds(90)).until(() -> runningMarkers(log, true) > 1);
            sendPaced(producer, topics.sync(), events, 2 * EVENTS / 3, EVENTS, progress);
        }
        // A window closes only once every input task has announced a watermark past its end, whatever the crash left
        // in flight.
        assertThat(closeAndCount(topics, base, expected.size())).isEqualTo(expected);
        assertThat(runningMarkers(log, true))
                .as("the killed instance had tasks before the kill and after its restart")
                .isGreaterThanOrEqualTo(2);
        // The dedup store's batches have unique keys: time retention deletes them, not compaction.
        assertThat(topicConfig(bootstrap, appId + "-dedup-store-changelog", TopicConfig.CLEANUP_POLICY_CONFIG))
                .isEqualTo(TopicConfig.CLEANUP_POLICY_DELETE);
    }

    /**
     * {@code count} sync events of 97 clients and five tables, their times spread over the three 1 s windows from {@code
     * base}; {@code expected} receives the events each window of global and of each table must count.
     */
    static List<SyncEvent> events(Instant base, int count, Map<String, Long> expected) {
        List<SyncEvent> events = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Instant at = base.plusMillis((i * 7L) % 3000);
            String table = "table-" + (i % TABLES);
            events.add(sync("client-" + (i % 97), at, i % 10 != 0, 10 + i % 50)
                    .setTable(table)
                    .build());
            Instant window = at.truncatedTo(ChronoUnit.SECONDS);
            expected.merge("global@" + window, 1L, Long::sum);
            expected.merge("table:" + table + "@" + window, 1L, Long::sum);
        }
        return events;
    }

    /**
     * Closes the windows of {@link #events} with one event 5 minutes ahead on every input partition (a window closes
     * only once every input task has announced a watermark past its end) and returns the event count of each closed
     * tumbling window of global and the tables, by {@code <scope>@<start>}, once at least {@code windows} came; each
     * must be emitted once.
     */
    static Map<String, Long> closeAndCount(TopicNames topics, Instant base, int windows) {
        Instant closing = base.plusSeconds(3).plus(Duration.ofMinutes(5)).plusSeconds(1);
        try (KafkaProducer<String, byte[]> producer = KafkaTestClient.producer()) {
            for (int p = 0; p < 3; p++) {
                SyncEvent closer =
                        sync("closer", closing, true, 1).setTable("table-" + p).build();
                producer.send(new ProducerRecord<>(
                        topics.sync(),
                        p,
                        "closer-" + p,
                        AvroCodec.of(SyncEvent.class).encode(closer)));
            }
            producer.flush();
        }
        var records = KafkaTestClient.await(
                topics.windows(),
                r -> {
                    WindowMetricsEvent w =
                            AvroCodec.of(WindowMetricsEvent.class).decode(r.value());
                    // Empty windows of the expected scopes (global here) tell of silence, not of these events.
                    return w.getWindowKind() == WindowKind.TUMBLING
                            && w.getEventCount() > 0
                            && w.getWindowStart().isBefore(closing.minusSeconds(60))
                            && (w.getScopeKey().equals("global")
                                    || w.getScopeKey().startsWith("table:"));
                },
                found -> found.size() >= windows,
                Duration.ofSeconds(150));
        Map<String, Long> counted = new TreeMap<>();
        for (var record : records) {
            WindowMetricsEvent w = AvroCodec.of(WindowMetricsEvent.class).decode(record.value());
            assertThat(counted.put(w.getScopeKey() + "@" + w.getWindowStart(), w.getEventCount()))
                    .as("window %s of %s emitted once", w.getWindowStart(), w.getScopeKey())
                    .isNull();
        }
        return counted;
    }

    static String topicConfig(String bootstrap, String topic, String name) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            return admin.describeConfigs(List.of(resource))
                    .all()
                    .get(10, TimeUnit.SECONDS)
                    .get(resource)
                    .get(name)
                    .value();
        }
    }

    /**
     * Sends events {@code from..to} at about one per millisecond, each seventh followed by a client retry of an
     * earlier event. The pace is the load's, not a wait for a result.
     */
    static void sendPaced(
            KafkaProducer<String, byte[]> producer,
            String topic,
            List<SyncEvent> events,
            int from,
            int to,
            AtomicInteger progress) {
        for (int i = from; i < to; i++) {
            producer.send(record(topic, events.get(i)));
            if (i % 7 == 3) {
                producer.send(record(topic, events.get(i / 2)));
            }
            progress.set(i);
            if (i % 10 == 0) {
                producer.flush();
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
            }
        }
        producer.flush();
    }

    /** Records of {@code topic} consumed and committed by the application's consumer group. */
    static long committed(String bootstrap, String groupId, String topic) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            return admin
                    .listConsumerGroupOffsets(groupId)
                    .partitionsToOffsetAndMetadata()
                    .get(10, TimeUnit.SECONDS)
                    .entrySet()
                    .stream()
                    .filter(e -> e.getKey().topic().equals(topic))
                    .mapToLong(e -> e.getValue().offset())
                    .sum();
        }
    }

    /** Records of {@code topic} not yet consumed and committed by the application's consumer group. */
    static long lag(String bootstrap, String groupId, String topic) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(groupId)
                    .partitionsToOffsetAndMetadata()
                    .get(10, TimeUnit.SECONDS);
            Map<TopicPartition, OffsetSpec> partitions = new HashMap<>();
            for (int p = 0; p < 3; p++) {
                partitions.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
            long lag = 0;
            for (var end : admin.listOffsets(partitions)
                    .all()
                    .get(10, TimeUnit.SECONDS)
                    .entrySet()) {
                OffsetAndMetadata done = committed.get(end.getKey());
                lag += end.getValue().offset() - (done == null ? 0 : done.offset());
            }
            return lag;
        }
    }

    static ProducerRecord<String, byte[]> record(String topic, SyncEvent event) {
        return new ProducerRecord<>(
                topic, event.getClientId(), AvroCodec.of(SyncEvent.class).encode(event));
    }
}
