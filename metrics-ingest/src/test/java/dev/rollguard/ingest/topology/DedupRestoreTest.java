package dev.rollguard.ingest.topology;

import static dev.rollguard.ingest.TelemetryFixtures.sync;
import static dev.rollguard.ingest.topology.ExactlyOnceTest.committed;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.infra.SharedInfra;
import dev.rollguard.ingest.KafkaTestClient;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.event.WindowKind;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import dev.rollguard.schemas.serde.AvroCodec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.KafkaStreams;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;

/**
 * The dedup store's ids survive a start on a state directory whose segments may hold more than the changelog, on the
 * real broker: a store closed cleanly has its flush marked; with the mark gone (what a crash after a checkpoint leaves,
 * as when Kafka Streams checkpoints a task at the end of its restoration and the process dies later), the restarted
 * store deletes its segments and declares the task corrupted, Kafka Streams wipes the task's state and restores every
 * id from the changelog: retries of the events before count nothing, and events whose ids only the segments held (as
 * an uncommitted transaction leaves them) count.
 */
class DedupRestoreTest {

    static final int EVENTS = 60;

    KafkaStreams streams;
    /** The state directory: deleted after a test that passed, kept after one that failed. */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path scratch;

    @AfterEach
    void stop() {
        if (streams != null) {
            streams.close(Duration.ofSeconds(10));
        }
    }

    @Test
    void segmentsWithoutTheMarkOfAFlushAreRestoredFromTheChangelog() throws Exception {
        String bootstrap = SharedInfra.kafkaBootstrap();
        String id = UUID.randomUUID().toString().substring(0, 8);
        String prefix = "dedup-" + id + ".";
        String appId = "metrics-ingest-dedup-" + id;
        TopicNames topics = TopicNames.DEFAULT.prefixed(prefix);
        StreamsWorker.createTopics(bootstrap, topics);
        // The application's global consumer fails at start when a topic's partitions are not in its metadata yet.
        try (KafkaConsumer<byte[], byte[]> metadata = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
                ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                ByteArrayDeserializer.class))) {
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> Stream.of(
                            topics.sync(), topics.upload(), topics.flags(), topics.dlq(), topics.windows())
                    .allMatch(topic -> !metadata.partitionsFor(topic).isEmpty()));
        }
        Path stateDir = scratch;

        Instant base = Instant.now().minus(Duration.ofMinutes(10)).truncatedTo(ChronoUnit.SECONDS);
        List<SyncEvent> first = new ArrayList<>();
        List<SyncEvent> second = new ArrayList<>();
        for (int i = 0; i < EVENTS; i++) {
            first.add(sync("client-" + (i % 13), base.plusMillis(i * 10L), true, 10)
                    .build());
            second.add(sync("client-" + (i % 13), base.plusMillis(i * 10L + 5), true, 10)
                    .build());
        }

        streams = StreamsWorker.start(bootstrap, appId, prefix, stateDir);
        send(topics.sync(), first);
        Awaitility.await()
                .atMost(Duration.ofSeconds(90))
                .until(() -> committed(bootstrap, appId, topics.sync()) >= EVENTS);
        streams.close(Duration.ofSeconds(30));
        streams = null;

        List<Path> marks;
        try (Stream<Path> files = Files.walk(stateDir)) {
            marks = files.filter(f -> f.getFileName().toString().equals("flushed")
                            && f.getParent().getFileName().toString().equals("dedup-store"))
                    .toList();
        }
        assertThat(marks).as("a flush mark per task closed cleanly").isNotEmpty();
        for (Path mark : marks) {
            Files.delete(mark);
            // What a crash after the flush could leave on disk: ids written by a transaction that never committed,
            // here those of the events still to come.
            try (Stream<Path> segments = Files.list(mark.getParent());
                    Options options = new Options()) {
                for (Path segment : segments.toList()) {
                    try (RocksDB db = RocksDB.open(options, segment.toString())) {
                        for (SyncEvent event : second) {
                            byte[] time = new byte[Long.BYTES];
                            DedupIds.writeLong(time, 0, event.getEventTime().toEpochMilli());
                            db.put(DedupBatch.id('s', event.getEventId()), time);
                        }
                    }
                }
            }
        }

        // Restarted on the same state directory: every event of before is sent again, and as many new ones.
        streams = StreamsWorker.start(bootstrap, appId, prefix, stateDir);
        List<SyncEvent> again = new ArrayList<>(first);
        again.addAll(second);
        send(topics.sync(), again);
        Awaitility.await()
                .atMost(Duration.ofSeconds(90))
                .until(() -> committed(bootstrap, appId, topics.sync()) >= 3L * EVENTS);
        Instant closing = base.plusSeconds(1).plus(Duration.ofMinutes(5)).plusSeconds(1);
        List<SyncEvent> closers = new ArrayList<>();
        for (int p = 0; p < 3; p++) {
            closers.add(sync("closer", closing, true, 1).setTable("table-" + p).build());
        }
        try (KafkaProducer<String, byte[]> producer = KafkaTestClient.producer()) {
            for (int p = 0; p < 3; p++) {
                producer.send(new ProducerRecord<>(
                        topics.sync(),
                        p,
                        "closer-" + p,
                        AvroCodec.of(SyncEvent.class).encode(closers.get(p))));
            }
            producer.flush();
        }

        var windows = KafkaTestClient.await(
                topics.windows(),
                r -> {
                    WindowMetricsEvent w =
                            AvroCodec.of(WindowMetricsEvent.class).decode(r.value());
                    return w.getWindowKind() == WindowKind.TUMBLING
                            && w.getScopeKey().equals("global")
                            && w.getEventCount() > 0
                            && w.getWindowStart().isBefore(closing.minusSeconds(60));
                },
                found -> found.stream()
                                .mapToLong(r -> AvroCodec.of(WindowMetricsEvent.class)
                                        .decode(r.value())
                                        .getEventCount())
                                .sum()
                        >= 2L * EVENTS,
                Duration.ofSeconds(120));
        long counted = windows.stream()
                .mapToLong(r ->
                        AvroCodec.of(WindowMetricsEvent.class).decode(r.value()).getEventCount())
                .sum();
        assertThat(counted).as("distinct events counted once each").isEqualTo(2L * EVENTS);
    }

    static void send(String topic, List<SyncEvent> events) {
        try (KafkaProducer<String, byte[]> producer = KafkaTestClient.producer()) {
            for (SyncEvent event : events) {
                producer.send(new ProducerRecord<>(
                        topic,
                        event.getClientId(),
                        AvroCodec.of(SyncEvent.class).encode(event)));
            }
            producer.flush();
        }
    }
}
