package dev.rollguard.ingest.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.ingest.domain.AggregateLimits;
import dev.rollguard.ingest.domain.Observation;
import dev.rollguard.ingest.domain.TelemetryKind;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

/**
 * A live store whose task Kafka Streams turns into a standby and back: it keeps the stores (no {@code init}), calls
 * {@code clearCache()} after the task's last commit at each turn, and feeds the standby the changelog's records through
 * the restore callback of the store underneath. The task, active again, must hold the changelog's latest values: what
 * it committed before, with what the standby read since.
 */
class StandbyRecycleTest {

    /** The store chain the service builds (metered, over the restore-only store), without the logging layer. */
    private static KeyValueStore<String, byte[]> chain(RestoreOnlyStore underneath) {
        KeyValueStore<String, byte[]> store = Stores.keyValueStoreBuilder(
                        new ChangelogBytesStore.Supplier(underneath, "in-memory"), Serdes.String(), Serdes.ByteArray())
                .withLoggingDisabled()
                .withCachingDisabled()
                .build();
        store.init(new MockProcessorContext<>().getStateStoreContext(), store);
        return store;
    }

    /** A changelog record as a restore (or a standby) applies it: the restore callback puts it underneath. */
    private static void changelogRecord(RestoreOnlyStore underneath, String key, String value) {
        underneath.put(
                Bytes.wrap(key.getBytes(StandardCharsets.UTF_8)),
                value == null ? null : value.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aTaskActiveAgainAfterAStintAsStandbyHoldsWhatItCommittedAndWhatTheStandbyRead() {
        RestoreOnlyStore underneath = new RestoreOnlyStore("live");
        LiveStoreTest.Strings store = new LiveStoreTest.Strings(chain(underneath));
        changelogRecord(underneath, "restored", "r");

        // Active: the restored value is read back, two more are committed.
        assertThat(store.get("restored")).isEqualTo("r");
        store.put("kept", "k");
        store.put("removed-later", "x");
        store.flushCache();

        // Standby: another instance's commits reach this one through the changelog.
        store.clearCache();
        changelogRecord(underneath, "from-standby", "s");
        changelogRecord(underneath, "removed-later", null);
        changelogRecord(underneath, "kept", "k2");

        // Active again.
        store.clearCache();
        assertThat(store.get("restored")).isEqualTo("r");
        assertThat(store.get("kept")).isEqualTo("k2");
        assertThat(store.get("from-standby")).isEqualTo("s");
        assertThat(store.get("removed-later")).isNull();
        assertThat(store.size()).isEqualTo(3);
    }

    @Test
    void aChangeNotCommittedWhenTheTaskTurnsIsNotTakenForTheChangelogs() {
        RestoreOnlyStore underneath = new RestoreOnlyStore("live");
        LiveStoreTest.Strings store = new LiveStoreTest.Strings(chain(underneath));
        store.put("committed", "c");
        store.flushCache();
        store.put("uncommitted", "u");

        store.clearCache();
        store.clearCache();

        assertThat(store.get("committed")).isEqualTo("c");
        assertThat(store.get("uncommitted")).isNull();
    }

    @Test
    void theTasksOwnRecordsComeBackWithItsValues() {
        RestoreOnlyStore underneath = new RestoreOnlyStore("partials");
        PartialWindowStore store = new PartialWindowStore(chain(underneath), AggregateLimits.DEFAULTS);
        store.watermark(60_000);
        store.streamTime(TelemetryProcessor.SYNC, 65_000);
        store.partial("60000|global")
                .add(
                        new Observation(
                                TelemetryKind.SYNC,
                                60_000,
                                true,
                                120,
                                0,
                                "notes",
                                -1,
                                -1,
                                3,
                                0,
                                -1,
                                0,
                                false,
                                null,
                                null),
                        AggregateLimits.DEFAULTS);
        store.flushCache();

        store.clearCache();
        store.clearCache();

        assertThat(store.watermark()).isEqualTo(60_000);
        assertThat(store.streamTime(TelemetryProcessor.SYNC)).isEqualTo(65_000);
        assertThat(store.size()).isEqualTo(1);
    }
}
