package dev.rollguard.ingest.topology;

import static dev.rollguard.ingest.TelemetryFixtures.sync;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollguard.ingest.service.FlagDirectory;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.serde.AvroCodec;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TopologyTestDriver;
import org.assertj.core.api.Condition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Options;

/**
 * Every RocksDB store of the topology, each window-store segment and the dedup store's own instances included, opens
 * with the one block cache of the configured size, which RocksDB reports as its capacity; closing a store leaves the
 * shared cache to the others.
 */
class BoundedMemoryRocksDBConfigTest {

    /** A size no default has: what the stores report can only come from the configuration. */
    static final long MEMORY = 48L * 1024 * 1024;

    static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");

    @TempDir
    Path scratch;

    private Properties config() {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "bounded-rocksdb");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.STATE_DIR_CONFIG, scratch.toString());
        props.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedMemoryRocksDBConfig.class.getName());
        props.put(BoundedMemoryRocksDBConfig.MEMORY_BYTES_CONFIG, Long.toString(MEMORY));
        return props;
    }

    /** {@code block-cache-capacity} of every RocksDB store, by store: what RocksDB itself reports. */
    private static Map<String, Object> capacities(TopologyTestDriver driver) {
        Map<String, Object> capacities = new HashMap<>();
        for (Map.Entry<MetricName, ? extends Metric> metric : driver.metrics().entrySet()) {
            MetricName name = metric.getKey();
            if (name.name().equals("block-cache-capacity")) {
                String store = name.tags()
                        .getOrDefault("rocksdb-window-state-id", name.tags().get("rocksdb-state-id"));
                capacities.put(store, metric.getValue().metricValue());
            }
        }
        return capacities;
    }

    @Test
    void everyStoreOfTheTopologyOpensWithTheOneCacheOfTheConfiguredSize() {
        Duration size = Duration.ofSeconds(10);
        TopologySettings settings = TopologySettings.of(TopicNames.DEFAULT, size, Duration.ofSeconds(2));
        try (TopologyTestDriver driver = new TopologyTestDriver(
                TelemetryTopology.build(settings, new FlagDirectory(settings.flagHistoryVersions())), config(), T0)) {
            var syncs = driver.createInputTopic("telemetry.sync", new StringSerializer(), new ByteArraySerializer());
            // A window closed, so the window store holds a segment.
            for (Instant at : new Instant[] {T0.plusSeconds(1), T0.plus(size).plusSeconds(5)}) {
                SyncEvent event = sync("c1", at, true, 100).build();
                syncs.pipeInput("c1", AvroCodec.of(SyncEvent.class).encode(event), at);
            }

            assertThat(capacities(driver))
                    .containsKeys(
                            TelemetryTopology.TUMBLING_STORE,
                            WindowMergeProcessor.WATERMARKS_STORE,
                            HoppingProcessor.STORE)
                    .allSatisfy((store, capacity) -> assertThat(((Number) capacity).longValue())
                            .as(store)
                            .isEqualTo(MEMORY));
            assertThat(BoundedMemoryRocksDBConfig.openStores())
                    .containsKey(DedupStore.STORE)
                    .containsKey(WindowMergeProcessor.WATERMARKS_STORE)
                    .containsKey(HoppingProcessor.STORE)
                    .hasKeySatisfying(new Condition<>(
                            name -> name.startsWith(TelemetryTopology.TUMBLING_STORE + "."), "a window-store segment"));
        }
    }

    @Test
    void closingAStoreLeavesTheSharedCacheToTheOthers() {
        var setter = new BoundedMemoryRocksDBConfig();
        Map<String, Object> configs = Map.of(BoundedMemoryRocksDBConfig.MEMORY_BYTES_CONFIG, MEMORY);
        try (Options first = new Options().setTableFormatConfig(new BlockBasedTableConfig());
                Options second = new Options().setTableFormatConfig(new BlockBasedTableConfig())) {
            setter.setConfig("closing-test", first, configs);
            setter.setConfig("closing-test", second, configs);
            assertThat(first.writeBufferManager()).isSameAs(second.writeBufferManager());
            assertThat(BoundedMemoryRocksDBConfig.openStores()).containsEntry("closing-test", 2);

            setter.close("closing-test", first);

            assertThat(BoundedMemoryRocksDBConfig.openStores()).containsEntry("closing-test", 1);
            // Still alive for the store that remains: a closed (disposed) manager would refuse this call.
            assertThat(second.writeBufferManager().isOwningHandle()).isTrue();
            setter.close("closing-test", second);
            assertThat(BoundedMemoryRocksDBConfig.openStores()).doesNotContainKey("closing-test");
        }
    }

    @Test
    void aSizeThatIsNotABoundIsRefusedByName() {
        assertThatThrownBy(() -> BoundedMemoryRocksDBConfig.memoryBytes(
                        Map.of(BoundedMemoryRocksDBConfig.MEMORY_BYTES_CONFIG, "lots")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(BoundedMemoryRocksDBConfig.MEMORY_BYTES_CONFIG);
        assertThatThrownBy(() -> BoundedMemoryRocksDBConfig.memoryBytes(
                        Map.of(BoundedMemoryRocksDBConfig.MEMORY_BYTES_CONFIG, 1024)))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("at least");
        assertThat(BoundedMemoryRocksDBConfig.memoryBytes(Map.of()))
                .isEqualTo(BoundedMemoryRocksDBConfig.DEFAULT_MEMORY_BYTES);
    }
}
