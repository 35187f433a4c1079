package dev.rollguard.ingest.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.ingest.domain.AggregateLimits;
import dev.rollguard.ingest.domain.Observation;
import dev.rollguard.ingest.domain.TelemetryKind;
import dev.rollguard.ingest.domain.WindowAggregate;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The partials' store and the epoch by which the pre-aggregation keeps a scope's partial between events: a partial
 * looked up and touched once in an epoch is written at the next commit however often it changes in place, and every
 * change of which value a key holds, and every commit, starts a new epoch.
 */
class PartialWindowStoreTest {

    private static final AggregateLimits LIMITS = new AggregateLimits(0.01, 64, 3, 2);

    private KeyValueStore<String, byte[]> changelog;

    @BeforeEach
    void open() {
        changelog = InMemoryChangelog.open(TelemetryProcessor.STORE);
    }

    private PartialWindowStore store() {
        return new PartialWindowStore(changelog, LIMITS);
    }

    private static Observation sync(long time) {
        return new Observation(TelemetryKind.SYNC, time, true, 120, 0, "notes", -1, -1, 3, 0, -1, 0, false, null, null);
    }

    @Test
    void aPartialChangedInPlaceAfterOneTouchInItsEpochIsWrittenWithEveryChange() {
        PartialWindowStore store = store();
        store.partial("60000|flag:a");
        store.flushCache();
        long epoch = store.epoch();
        WindowAggregate partial = store.partial("60000|flag:a");
        store.touch("60000|flag:a");
        assertThat(store.epoch()).isEqualTo(epoch);
        for (int i = 0; i < 5; i++) {
            // Later events of the same epoch change the kept reference only, without a look-up or a touch.
            partial.add(sync(60_000 + i), LIMITS);
            assertThat(store.epoch()).isEqualTo(epoch);
        }
        store.flushCache();

        assertThat(store().partial("60000|flag:a").eventCount()).isEqualTo(5);
    }

    @Test
    void aCommitStartsANewEpochSoThatTheNextChangeIsTouchedAgain() {
        PartialWindowStore store = store();
        WindowAggregate partial = store.partial("60000|flag:a").add(sync(60_000), LIMITS);
        long epoch = store.epoch();
        store.flushCache();
        assertThat(store.epoch()).isNotEqualTo(epoch);

        // A change after the commit without a touch is not written: the epoch tells the caller to touch again.
        partial.add(sync(60_001), LIMITS);
        store.flushCache();
        assertThat(store().partial("60000|flag:a").eventCount()).isEqualTo(1);
    }

    @Test
    void everyChangeOfWhichValueAKeyHoldsStartsANewEpoch() {
        PartialWindowStore store = store();
        store.partial("60000|flag:a");
        long afterPut = store.epoch();
        store.partial("60000|flag:a");
        store.touch("60000|flag:a");
        assertThat(store.epoch()).as("a look-up and a touch").isEqualTo(afterPut);

        store.partial("60000|flag:b");
        assertThat(store.epoch()).as("a new partial").isNotEqualTo(afterPut);

        long beforeDrain = store.epoch();
        assertThat(store.drain()).hasSize(2);
        assertThat(store.epoch()).as("the partials forwarded").isNotEqualTo(beforeDrain);

        store.partial("120000|flag:a");
        long beforeClear = store.epoch();
        store.clearCache();
        assertThat(store.epoch()).as("the task closed or revived").isNotEqualTo(beforeClear);
    }

    @Test
    void aKeyDrainedAndCreatedAgainBeforeTheCommitHoldsItsNewValueAndOneDrainedForGoodIsDeleted() {
        PartialWindowStore store = store();
        store.partial("60000|flag:a").add(sync(60_000), LIMITS);
        store.partial("60000|flag:b").add(sync(60_000), LIMITS);
        store.flushCache();
        assertThat(store.drain()).hasSize(2);
        // A touch of a drained key brings nothing back, and a new partial of a drained key is written after its
        // tombstone.
        store.touch("60000|flag:b");
        store.partial("60000|flag:a").add(sync(60_001), LIMITS).add(sync(60_002), LIMITS);
        store.flushCache();

        assertThat(changelog.get("60000|flag:b")).isNull();
        assertThat(store().partial("60000|flag:a").eventCount()).isEqualTo(2);
        store.drain();
        store.flushCache();
        assertThat(changelog.get("60000|flag:a")).isNull();
    }
}
