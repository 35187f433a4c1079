package dev.rollguard.ingest.topology;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.internals.CacheFlushListener;
import org.apache.kafka.streams.state.internals.CachedStateStore;

/**
 * The event ids one input task has seen within the dedup horizon ({@link DedupIds} on disk), changelogged a batch at a
 * time: the ids seen since the last commit go to the changelog as one record ({@link DedupBatch}) when Kafka Streams
 * prepares the commit ({@link #flushCache()}, as for a {@link LiveStore}), so under exactly-once the changelog holds
 * exactly the ids of the events whose offsets are committed, and a restore reads them back into their segments. The
 * window store of earlier versions wrote a changelog record for every id; its records are read on restore too, so an
 * upgrade forgets no id.
 *
 * <p>A batch is written out early when it reaches {@link #MAX_BATCH_BYTES}, within the same transaction, so that a
 * record stays far below the broker's default limit of 1 MB however many events a commit covers.
 */
final class DedupStore implements StateStore, CachedStateStore<Bytes, byte[]> {

    /**
     * The store's name: an event counts only the first time its id is seen within the dedup horizon (event time,
     * either side). Telemetry is keyed by client id, so a client's retries reach the same partition and the same store.
     */
    static final String STORE = "dedup-store";

    static final int MAX_BATCH_BYTES = 256 * 1024;

    private static final SecureRandom RANDOM = new SecureRandom();

    private final KeyValueStore<Bytes, byte[]> changelogged;
    private final DedupIds ids;
    private final DedupBatch batch = new DedupBatch();

    /** Batch keys are this random base and a sequence: unique across instances and restarts. */
    private long base;

    private int sequence;

    private DedupStore(KeyValueStore<Bytes, byte[]> changelogged, DedupIds ids) {
        this.changelogged = changelogged;
        this.ids = ids;
    }

    /**
     * Whether {@code id} (see {@link DedupBatch#id}) is seen for the first time within the horizon of {@code time};
     * if so it is recorded, and logged with the next commit.
     */
    boolean firstSeen(byte[] id, long time) {
        if (ids.seen(id, time)) {
            return false;
        }
        if (ids.add(id, time)) {
            batch.add(id, time);
            if (batch.size() >= MAX_BATCH_BYTES) {
                writeBatch();
            }
        }
        return true;
    }

    private void writeBatch() {
        if (batch.ids() > 0) {
            Bytes key = Bytes.wrap(batch.key(base, sequence++));
            changelogged.put(key, batch.take());
        }
    }

    @Override
    public void flushCache() {
        writeBatch();
    }

    /**
     * Kafka Streams calls this when it recycles the task, after a commit wrote the batch; a batch of a transaction
     * that will not commit goes with the task's state, which exactly-once wipes and restores.
     */
    @Override
    public void clearCache() {
        batch.take();
    }

    @Override
    public boolean setFlushListener(CacheFlushListener<Bytes, byte[]> listener, boolean sendOldValues) {
        return false;
    }

    @Override
    public String name() {
        return changelogged.name();
    }

    @Override
    public void init(StateStoreContext context, StateStore root) {
        batch.take();
        base = RANDOM.nextLong();
        sequence = 0;
        changelogged.init(context, root);
    }

    @Override
    public void flush() {
        changelogged.flush();
    }

    @Override
    public void close() {
        batch.take();
        changelogged.close();
    }

    @Override
    public boolean persistent() {
        return changelogged.persistent();
    }

    @Override
    public boolean isOpen() {
        return changelogged.isOpen();
    }

    /**
     * A builder of the store named {@code name}, changelogged under {@code <application.id>-<name>-changelog}, whose
     * records are deleted by time: twice the horizon and a day after the newest record of their log segment. The
     * changelogging layer stamps a batch with the time of the record processed last, an event time near the batch's
     * own ids; the horizon's second half covers a segment's length (ids live until the horizon has passed their
     * segment's end), and the day is the margin Kafka Streams gives window stores. A changelog created by the window
     * store of earlier versions keeps its own settings ({@code compact,delete}, the horizon and a day): batch keys are
     * unique, so compaction keeps them, and that retention outlasts their ids while the horizon is at most two days (a
     * segment, half the horizon, at most the day).
     */
    static StoreBuilder<DedupStore> builder(String name, Duration horizon) {
        DedupIds.checkHorizon(horizon);
        long retention = 2 * horizon.toMillis() + Duration.ofDays(1).toMillis();
        return new LoggedStoreBuilder<>(
                name,
                Map.of(
                        TopicConfig.CLEANUP_POLICY_CONFIG,
                        TopicConfig.CLEANUP_POLICY_DELETE,
                        TopicConfig.RETENTION_MS_CONFIG,
                        Long.toString(retention)),
                logConfig -> {
                    DedupIds ids = new DedupIds(name, horizon.toMillis());
                    KeyValueStore<Bytes, byte[]> changelogged = Stores.keyValueStoreBuilder(
                                    new ChangelogBytesStore.Supplier(ids, "rocksdb-dedup"),
                                    Serdes.Bytes(),
                                    Serdes.ByteArray())
                            .withLoggingEnabled(logConfig)
                            .withCachingDisabled()
                            .build();
                    return new DedupStore(changelogged, ids);
                });
    }
}
