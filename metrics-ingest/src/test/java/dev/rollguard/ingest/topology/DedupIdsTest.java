package dev.rollguard.ingest.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.common.serialization.LongSerializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.StreamsMetrics;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.errors.TaskCorruptedException;
import org.apache.kafka.streams.processor.CommitCallback;
import org.apache.kafka.streams.processor.StateRestoreCallback;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.processor.internals.RecordBatchingStateRestoreCallback;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dedup store's ids on disk: the horizon either side, expiry by segment, and what a restore reads back. */
class DedupIdsTest {

    static final long MINUTE = Duration.ofMinutes(1).toMillis();
    static final long T0 = 1_800_000_000_000L;

    @TempDir
    Path stateDir;

    final List<DedupIds> opened = new ArrayList<>();
    RecordBatchingStateRestoreCallback restore;

    @AfterEach
    void close() {
        opened.forEach(DedupIds::close);
    }

    DedupIds open(long horizonMs) {
        DedupIds ids = new DedupIds("dedup-store", horizonMs);
        ids.init(new Context(stateDir.toFile()), ids);
        opened.add(ids);
        return ids;
    }

    static byte[] id(String eventId) {
        return DedupBatch.id('s', eventId);
    }

    @Test
    void anIdIsSeenWithinTheHorizonEitherSideAndNotBeyond() {
        DedupIds ids = open(10 * MINUTE);
        assertThat(ids.seen(id("e1"), T0)).isFalse();
        assertThat(ids.add(id("e1"), T0)).isTrue();

        assertThat(ids.seen(id("e1"), T0)).isTrue();
        assertThat(ids.seen(id("e1"), T0 + 10 * MINUTE)).isTrue();
        assertThat(ids.seen(id("e1"), T0 - 10 * MINUTE)).isTrue();
        assertThat(ids.seen(id("e1"), T0 + 10 * MINUTE + 1)).isFalse();
        assertThat(ids.seen(id("e1"), T0 - 10 * MINUTE - 1)).isFalse();
        // The same id of the other kind is another event.
        assertThat(ids.seen(DedupBatch.id('u', "e1"), T0)).isFalse();
        assertThat(ids.seen(id("e2"), T0)).isFalse();
    }

    @Test
    void idsExpireWithTheirSegmentOnceTheHorizonHasPassed() throws Exception {
        DedupIds ids = open(2 * MINUTE);
        ids.add(id("old"), T0);
        ids.add(id("recent"), T0 + MINUTE);
        assertThat(ids.seen(id("old"), T0 + MINUTE)).isTrue();

        // Stream time 4 minutes on: the horizon before it starts after T0 + 2 min, so the segments of the first two
        // minutes are gone, ids and files.
        ids.add(id("kept"), T0 + 4 * MINUTE);
        assertThat(ids.seen(id("old"), T0 + MINUTE)).isFalse();
        assertThat(ids.seen(id("recent"), T0 + 2 * MINUTE)).isFalse();
        assertThat(ids.seen(id("kept"), T0 + 5 * MINUTE)).isTrue();
        assertThat(segmentDirs())
                .as("segments on disk")
                .hasSize(ids.segmentCount())
                .containsExactly(Long.toString(T0 + 4 * MINUTE));

        // A time already expired is neither recorded nor found.
        assertThat(ids.add(id("late"), T0)).isFalse();
        assertThat(ids.seen(id("late"), T0)).isFalse();
    }

    @Test
    void aRestoreReadsBackBatchesAndTheRecordsOfTheEarlierWindowStore() throws Exception {
        DedupIds ids = open(10 * MINUTE);
        DedupBatch batch = new DedupBatch();
        batch.add(id("e1"), T0);
        batch.add(id("é-2"), T0 + 1_000);
        byte[] windowStoreKey = ByteBuffer.allocate(id("e3").length + 12)
                .put(id("e3"))
                .putLong(T0 + 2_000)
                .putInt(0)
                .array();
        byte[] windowStoreValue = ByteBuffer.allocate(8).putLong(T0 + 2_000).array();
        restore.restoreBatch(List.of(
                record(batch.key(7, 0), batch.take()),
                record(windowStoreKey, windowStoreValue),
                record(new DedupBatch().key(7, 1), null)));

        assertThat(ids.seen(id("e1"), T0)).isTrue();
        assertThat(ids.seen("s:é-2".getBytes(StandardCharsets.UTF_8), T0 + 1_000))
                .isTrue();
        assertThat(ids.seen(id("e3"), T0 + 2_000)).isTrue();
        assertThat(ids.seen(id("e4"), T0)).isFalse();
        assertThat(batch.ids()).isZero();
    }

    @Test
    void theSegmentsOfTheEarlierWindowStoreAreReadInAndDeleted(@TempDir Path driverState) throws Exception {
        // The store as earlier versions built it (Kafka Streams' RocksDB window store, String ids, Long times), written
        // by a topology on the test driver, then copied as it lay on disk into this store's task directory.
        Topology topology = new Topology();
        topology.addSource("in", new StringDeserializer(), new LongDeserializer(), "ids");
        topology.addProcessor(
                "put",
                () -> new Processor<String, Long, Void, Void>() {
                    WindowStore<String, Long> store;

                    @Override
                    public void init(ProcessorContext<Void, Void> context) {
                        store = context.getStateStore("dedup-store");
                    }

                    @Override
                    public void process(Record<String, Long> record) {
                        store.put(record.key(), record.value(), record.value());
                    }
                },
                "in");
        topology.addStateStore(
                Stores.windowStoreBuilder(
                                Stores.persistentWindowStore(
                                        "dedup-store", Duration.ofMinutes(10), Duration.ofMinutes(10), false),
                                Serdes.String(),
                                Serdes.Long())
                        .withLoggingDisabled(),
                "put");
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "earlier");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, driverState.toString());
        try (TopologyTestDriver driver = new TopologyTestDriver(topology, props)) {
            TestInputTopic<String, Long> ids =
                    driver.createInputTopic("ids", new StringSerializer(), new LongSerializer());
            ids.pipeInput("s:e1", T0, T0);
            ids.pipeInput("s:e2", T0 + MINUTE, T0 + MINUTE);
            driver.getWindowStore("dedup-store").flush();
            Path written = driverState.resolve("earlier").resolve("0_0").resolve("dedup-store");
            try (Stream<Path> files = Files.walk(written)) {
                for (Path file : files.toList()) {
                    Path copy = stateDir.resolve("dedup-store").resolve(written.relativize(file));
                    if (Files.isDirectory(file)) {
                        Files.createDirectories(copy);
                    } else {
                        Files.copy(file, copy);
                    }
                }
            }
        }
        assertThat(segmentDirs()).isNotEmpty().allMatch(dir -> dir.startsWith("dedup-store."));

        DedupIds ids = open(10 * MINUTE);
        assertThat(ids.seen(id("e1"), T0)).isTrue();
        assertThat(ids.seen(id("e2"), T0 + 2 * MINUTE)).isTrue();
        assertThat(ids.seen(id("e3"), T0)).isFalse();
        assertThat(segmentDirs()).noneMatch(dir -> dir.startsWith("dedup-store."));
    }

    @Test
    void idsOnDiskOutliveAReopening() {
        DedupIds first = open(10 * MINUTE);
        first.add(id("e1"), T0);
        first.flush();
        first.close();
        opened.remove(first);

        DedupIds again = open(10 * MINUTE);
        assertThat(again.seen(id("e1"), T0 + MINUTE)).isTrue();
    }

    @Test
    void segmentsFoundWithoutTheMarkOfAFlushAreDeletedAndTheTaskDeclaredCorrupted() throws Exception {
        DedupIds first = open(10 * MINUTE);
        first.add(id("e1"), T0);
        first.flush();
        // A write after the flush that a crash would leave unflushed and uncommitted on disk.
        first.add(id("uncommitted"), T0 + 1_000);
        first.close();
        opened.remove(first);

        DedupIds again = new DedupIds("dedup-store", 10 * MINUTE);
        assertThatThrownBy(() -> again.init(new Context(stateDir.toFile()), again))
                .isInstanceOf(TaskCorruptedException.class);
        assertThat(segmentDirs()).as("segments left").noneMatch(dir -> dir.matches("[0-9]+"));

        // Kafka Streams then wipes the task's state and restores it from the changelog, into a store opened afresh.
        DedupIds restored = open(10 * MINUTE);
        assertThat(restored.seen(id("uncommitted"), T0 + 1_000)).isFalse();
    }

    @Test
    void aReopenedStoreKnowsTheLatestTimeItSaw() {
        DedupIds first = open(2 * MINUTE);
        first.add(id("old"), T0 + 30_000);
        first.add(id("latest"), T0 + 3 * MINUTE - 1_000);
        first.flush();
        first.close();
        opened.remove(first);

        // T0 + 30 s is older than the horizon before the latest time: expired, though its segment is still on disk
        // (the newest segment's start, T0 + 2 min, would put the horizon's start at T0).
        DedupIds again = open(2 * MINUTE);
        assertThat(again.seen(id("old"), T0 + 30_000)).isFalse();
        assertThat(again.add(id("late"), T0 + 30_000)).isFalse();
        assertThat(again.seen(id("latest"), T0 + 3 * MINUTE)).isTrue();
    }

    @Test
    void aHorizonShorterThanAMinuteIsRefused() {
        assertThatThrownBy(() -> new DedupIds("dedup-store", 59_999))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least PT1M");
    }

    @Test
    void aBatchOfAnUnknownFormatIsRefused() {
        assertThatThrownBy(() -> DedupBatch.read(new byte[] {9, 0}, (id, time) -> {}))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("format 9");
    }

    List<String> segmentDirs() throws Exception {
        try (Stream<Path> dirs = Files.list(stateDir.resolve("dedup-store"))) {
            return dirs.map(p -> p.getFileName().toString()).toList();
        }
    }

    static ConsumerRecord<byte[], byte[]> record(byte[] key, byte[] value) {
        return new ConsumerRecord<>("app-dedup-store-changelog", 0, 0, key, value);
    }

    /** A state store context of the mock, with this test's state directory, that keeps the restore callback. */
    final class Context implements StateStoreContext {

        private final StateStoreContext mock = new MockProcessorContext<>().getStateStoreContext();
        private final File dir;

        Context(File dir) {
            this.dir = dir;
        }

        @Override
        public String applicationId() {
            return mock.applicationId();
        }

        @Override
        public TaskId taskId() {
            return mock.taskId();
        }

        @Override
        public Optional<RecordMetadata> recordMetadata() {
            return mock.recordMetadata();
        }

        @Override
        public Serde<?> keySerde() {
            return mock.keySerde();
        }

        @Override
        public Serde<?> valueSerde() {
            return mock.valueSerde();
        }

        @Override
        public File stateDir() {
            return dir;
        }

        @Override
        public StreamsMetrics metrics() {
            return mock.metrics();
        }

        @Override
        public void register(StateStore store, StateRestoreCallback callback) {
            if (callback instanceof RecordBatchingStateRestoreCallback batching) {
                restore = batching;
            }
        }

        @Override
        public void register(StateStore store, StateRestoreCallback callback, CommitCallback onCommit) {
            register(store, callback);
        }

        @Override
        public Map<String, Object> appConfigs() {
            return Map.of();
        }

        @Override
        public Map<String, Object> appConfigsWithPrefix(String prefix) {
            return Map.of();
        }
    }
}
