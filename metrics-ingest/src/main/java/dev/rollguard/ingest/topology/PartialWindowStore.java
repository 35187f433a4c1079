package dev.rollguard.ingest.topology;

import dev.rollguard.ingest.domain.AggregateLimits;
import dev.rollguard.ingest.domain.WindowAggregate;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.internals.CacheFlushListener;
import org.apache.kafka.streams.state.internals.CachedStateStore;

/**
 * The partial windows of one input task, kept as live objects: an event updates them in place, without the
 * (de)serialization of a several-kilobyte aggregate that every update of a Kafka Streams store costs.
 *
 * <p>Durability comes from a changelogged in-memory key-value store underneath, written only when Kafka Streams
 * commits: like its own record caches, this store implements {@link CachedStateStore}, whose {@link #flushCache()}
 * Kafka Streams calls while preparing every commit (regular, on rebalance and on shutdown), before the input
 * offsets and the produced records commit in one transaction. So under exactly-once the changelog holds exactly
 * the partials of the events whose offsets are committed, whatever the moment of a crash; after a restart the
 * partials are read back from it. {@link CachedStateStore} is an internal interface of Kafka Streams (4.1), so
 * {@code ExactlyOnceTest} (a SIGKILL between commits) is what proves this store's contract on every upgrade.
 *
 * <p>Beside the partials it keeps the task's progress: its stream time and the watermark it last announced, committed
 * with the partials, so that a restarted task judges lateness exactly where it left off.
 */
final class PartialWindowStore implements StateStore, CachedStateStore<String, byte[]> {

    /** Key of the task's progress; no partial's key ({@code <window start>|<scope>}) starts with {@code ~}. */
    private static final String PROGRESS_KEY = "~progress";

    private final KeyValueStore<String, byte[]> changelogged;
    private final AggregateLimits limits;
    private final Map<String, WindowAggregate> live = new HashMap<>();
    /** Keys changed (updated or removed) since the last commit. */
    private final Set<String> dirty = new HashSet<>();

    private boolean loaded;
    private long streamTime = Long.MIN_VALUE;
    private long watermark = Long.MIN_VALUE;
    private boolean progressDirty;

    private PartialWindowStore(KeyValueStore<String, byte[]> changelogged, AggregateLimits limits) {
        this.changelogged = changelogged;
        this.limits = limits;
    }

    /** A builder of the store, changelogged under {@code <application.id>-<name>-changelog}. */
    static StoreBuilder<PartialWindowStore> builder(String name, AggregateLimits limits) {
        return new Builder(name, limits, Map.of());
    }

    /** The partial of a key, created empty when absent; the caller updates it in place and calls {@link #touch}. */
    WindowAggregate partial(String key) {
        load();
        WindowAggregate partial = live.get(key);
        if (partial == null) {
            partial = new WindowAggregate(limits);
            live.put(key, partial);
        }
        return partial;
    }

    /** Marks a partial changed, so that the next commit writes it. */
    void touch(String key) {
        dirty.add(key);
    }

    /** The latest event time counted by the task (capped as {@link EventTimeExtractor} says). */
    long streamTime() {
        load();
        return streamTime;
    }

    /** The end of the latest window the task announced as closed on its side. */
    long watermark() {
        load();
        return watermark;
    }

    /** Records the task's progress, written with the next commit. */
    void progress(long streamTime, long watermark) {
        load();
        this.streamTime = streamTime;
        this.watermark = watermark;
        progressDirty = true;
    }

    int size() {
        load();
        return live.size();
    }

    /** Removes and returns every partial. */
    List<KeyValue<String, WindowAggregate>> drain() {
        load();
        List<KeyValue<String, WindowAggregate>> all = new ArrayList<>(live.size());
        live.forEach((key, partial) -> all.add(KeyValue.pair(key, partial)));
        dirty.addAll(live.keySet());
        live.clear();
        return all;
    }

    /** Reads the partials back from the restored changelog store, on first use after (re)initialisation. */
    private void load() {
        if (loaded) {
            return;
        }
        try (KeyValueIterator<String, byte[]> all = changelogged.all()) {
            while (all.hasNext()) {
                KeyValue<String, byte[]> entry = all.next();
                if (PROGRESS_KEY.equals(entry.key)) {
                    ByteBuffer progress = ByteBuffer.wrap(entry.value);
                    streamTime = progress.getLong();
                    watermark = progress.getLong();
                } else {
                    live.put(entry.key, WindowAggregate.fromBytes(entry.value, limits));
                }
            }
        }
        loaded = true;
    }

    @Override
    public void flushCache() {
        for (String key : dirty) {
            WindowAggregate partial = live.get(key);
            if (partial != null) {
                changelogged.put(key, partial.toBytes());
            } else if (changelogged.get(key) != null) {
                changelogged.delete(key);
            }
        }
        dirty.clear();
        if (progressDirty) {
            changelogged.put(
                    PROGRESS_KEY,
                    ByteBuffer.allocate(16)
                            .putLong(streamTime)
                            .putLong(watermark)
                            .array());
            progressDirty = false;
        }
    }

    @Override
    public void clearCache() {
        live.clear();
        dirty.clear();
        loaded = false;
        streamTime = Long.MIN_VALUE;
        watermark = Long.MIN_VALUE;
        progressDirty = false;
    }

    @Override
    public boolean setFlushListener(CacheFlushListener<String, byte[]> listener, boolean sendOldValues) {
        return false;
    }

    @Override
    public String name() {
        return changelogged.name();
    }

    @Override
    public void init(StateStoreContext context, StateStore root) {
        // A task closed after an error is revived with the same stores: nothing of before may survive, the
        // partials are read back from the changelog once it is restored.
        clearCache();
        changelogged.init(context, root);
    }

    @Override
    public void flush() {
        changelogged.flush();
    }

    @Override
    public void close() {
        clearCache();
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

    private record Builder(String name, AggregateLimits limits, Map<String, String> logConfig)
            implements StoreBuilder<PartialWindowStore> {

        @Override
        public StoreBuilder<PartialWindowStore> withCachingEnabled() {
            return this;
        }

        @Override
        public StoreBuilder<PartialWindowStore> withCachingDisabled() {
            return this;
        }

        @Override
        public StoreBuilder<PartialWindowStore> withLoggingEnabled(Map<String, String> config) {
            return new Builder(name, limits, Map.copyOf(config));
        }

        @Override
        public StoreBuilder<PartialWindowStore> withLoggingDisabled() {
            throw new UnsupportedOperationException("partial windows must be changelogged for exactly-once");
        }

        @Override
        public PartialWindowStore build() {
            KeyValueStore<String, byte[]> inner = Stores.keyValueStoreBuilder(
                            Stores.inMemoryKeyValueStore(name), Serdes.String(), Serdes.ByteArray())
                    .withLoggingEnabled(logConfig)
                    .withCachingDisabled()
                    .build();
            return new PartialWindowStore(inner, limits);
        }

        @Override
        public Map<String, String> logConfig() {
            return logConfig;
        }

        @Override
        public boolean loggingEnabled() {
            return true;
        }
    }
}
