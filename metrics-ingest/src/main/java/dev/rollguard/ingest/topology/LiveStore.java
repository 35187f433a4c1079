package dev.rollguard.ingest.topology;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiPredicate;
import java.util.function.Function;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.internals.CacheFlushListener;
import org.apache.kafka.streams.state.internals.CachedStateStore;
import org.apache.kafka.streams.state.internals.WrappedStateStore;

/**
 * A store of one input task whose values are kept as live objects: an event updates them in place, without the
 * (de)serialization that every update of a Kafka Streams store costs.
 *
 * <p>Durability comes from a changelogged key-value store underneath ({@link RestoreOnlyStore}: it keeps nothing
 * but what a restore reads back, so each value lives once in memory), written only when Kafka Streams commits: like its own record caches, this store implements {@link CachedStateStore}, whose {@link #flushCache()}
 * Kafka Streams calls while preparing every commit (regular, on rebalance and on shutdown), before the input
 * offsets and the produced records commit in one transaction. So under exactly-once the changelog holds exactly
 * the values of the events whose offsets are committed, whatever the moment of a crash; after a restart the values
 * are read back from it. {@link CachedStateStore} is an internal interface of Kafka Streams (4.1), so {@code
 * ExactlyOnceTest} and {@code RestartUnderLoadTest} (SIGKILLs between commits) are what prove this store's contract
 * on every upgrade.
 *
 * <p>When Kafka Streams turns the task into a standby (or back), it keeps the stores as they are and calls {@link
 * #clearCache()} after the task's last commit; a standby's changelog records reach the store underneath through its
 * restore callback. So at that moment the live values go back, encoded, to the store underneath ({@link
 * RestoreOnlyStore#takeBack}): a standby keeps them up to date there, and the task, active again, reads them back.
 *
 * <p>Keys starting with {@code ~} are the subclass's own ({@link #readOwn}, {@link #writeOwn}).
 */
abstract class LiveStore<V> implements StateStore, CachedStateStore<String, byte[]> {

    private final KeyValueStore<String, byte[]> changelogged;
    /** The store under the changelogging layer, which a restore and a standby fill; null when there is none (tests). */
    private final RestoreOnlyStore restored;
    /** The latest changelog record of each of the subclass's own keys: read back, or written at a commit. */
    private final Map<String, byte[]> own = new HashMap<>();
    /**
     * One entry a key, with its value and commit bookkeeping: one look-up finds a value and marks it changed. A removed
     * key keeps its entry, without a value, until the next commit has written its tombstone (when the changelog holds
     * a value of it), so a key removed and set again before the commit is one entry, written once.
     */
    private final Map<String, Entry<V>> live = new HashMap<>();
    /** How many entries hold a value. */
    private int size;
    /** The entries changed (set or removed) since the last commit, each once. */
    private final List<Entry<V>> dirty = new ArrayList<>();
    /** The entry of the latest look-up that found a value: a value read and then touched needs one look-up. */
    private Entry<V> last;

    private boolean loaded;
    /** See {@link #epoch()}. */
    private long epoch;

    protected LiveStore(KeyValueStore<String, byte[]> changelogged) {
        this.changelogged = changelogged;
        this.restored = underneath(changelogged);
    }

    /** The {@link RestoreOnlyStore} under the layers Kafka Streams wraps a store in, if that is what is underneath. */
    private static RestoreOnlyStore underneath(StateStore store) {
        StateStore inner = store;
        while (inner instanceof WrappedStateStore<?, ?, ?> wrapped) {
            inner = wrapped.wrapped();
        }
        return inner instanceof RestoreOnlyStore restoreOnly ? restoreOnly : null;
    }

    protected abstract byte[] encode(V value);

    protected abstract V decode(byte[] data);

    /** Reads one of the subclass's own keys back from the changelog. */
    protected void readOwn(String key, byte[] value) {}

    /** Writes the subclass's own keys when they changed, at each commit. */
    protected void writeOwn(OwnKeys changelog) {}

    /** Where the subclass writes its own keys at a commit ({@link #writeOwn}). */
    protected interface OwnKeys {
        void put(String key, byte[] value);

        void delete(String key);
    }

    /** Whether a key read back from the changelog is one of an earlier version's records, read by {@link #readEarlierVersion}. */
    protected boolean earlierVersion(String key) {
        return false;
    }

    /**
     * Reads a record of an earlier version back into the current form, with {@link #adopted} and {@link #adopt}; the
     * record is deleted at the next commit.
     */
    protected void readEarlierVersion(String key, byte[] value) {}

    /** The value of a key while the values are read back (from {@link #readEarlierVersion}). */
    protected final V adopted(String key) {
        Entry<V> entry = live.get(key);
        return entry == null ? null : entry.value;
    }

    /** Sets a value while the values are read back (from {@link #readEarlierVersion}); the next commit writes it. */
    protected final void adopt(String key, V value) {
        set(key, value);
    }

    /** Sees one value read back from the changelog, for the subclass's own bookkeeping. */
    protected void loaded(String key, V value) {}

    /** Whether a value read back is in an earlier layout that {@link #decode} still reads: the next commit rewrites it. */
    protected boolean outdated(byte[] data) {
        return false;
    }

    /** Forgets the subclass's own state, before it is read back. */
    protected void resetOwn() {}

    /** The value of a key, or null; the caller that changes it in place calls {@link #touch}. */
    final V get(String key) {
        load();
        Entry<V> entry = live.get(key);
        if (entry == null || entry.value == null) {
            last = null;
            return null;
        }
        last = entry;
        return entry.value;
    }

    final void put(String key, V value) {
        load();
        set(key, value);
        epoch++;
    }

    /** Sets the value of a key and marks it changed. */
    private void set(String key, V value) {
        Entry<V> entry = live.get(key);
        if (entry == null) {
            entry = new Entry<>(key);
            live.put(key, entry);
        }
        if (entry.value == null) {
            size++;
        }
        entry.value = value;
        changed(entry);
        last = entry;
    }

    /** Removes the value of a key, if any: the next commit deletes it. */
    final void remove(String key) {
        load();
        Entry<V> entry = live.get(key);
        if (entry != null && entry.value != null) {
            removed(entry);
            epoch++;
        }
    }

    /** Marks a value changed, so that the next commit writes it; a key without a value is left as it is. */
    final void touch(String key) {
        Entry<V> entry = last != null && last.key.equals(key) ? last : live.get(key);
        if (entry != null && entry.value != null) {
            changed(entry);
        }
    }

    private void changed(Entry<V> entry) {
        if (!entry.dirty) {
            entry.dirty = true;
            dirty.add(entry);
        }
    }

    /**
     * Takes the value of an entry: the entry stays in {@link #live} until the next commit, which writes its tombstone
     * if the changelog holds a value of it.
     */
    private void removed(Entry<V> entry) {
        entry.value = null;
        size--;
        changed(entry);
        if (last == entry) {
            last = null;
        }
    }

    /**
     * Changes at each commit and whenever the value of a key may have been replaced or removed (put, drained,
     * removed, cleared). While it stays the same, a value that was read with {@link #get} and then {@link #touch}ed
     * is still the store's value and still to be written at the next commit: a caller may keep the reference and
     * update it in place without another look-up or touch.
     */
    final long epoch() {
        return epoch;
    }

    final int size() {
        load();
        return size;
    }

    /** Removes and returns every value. */
    final List<KeyValue<String, V>> drain() {
        load();
        List<KeyValue<String, V>> all = new ArrayList<>(size);
        for (Entry<V> entry : live.values()) {
            if (entry.value != null) {
                all.add(KeyValue.pair(entry.key, entry.value));
                removed(entry);
            }
        }
        epoch++;
        return all;
    }

    /** Removes the values that {@code remove} selects; returns how many. */
    final int removeIf(BiPredicate<String, V> remove) {
        load();
        epoch++;
        int taken = 0;
        for (Entry<V> entry : live.values()) {
            if (entry.value != null && remove.test(entry.key, entry.value)) {
                removed(entry);
                taken++;
            }
        }
        return taken;
    }

    /**
     * Reads the values back from the restored changelog store, on first use after (re)initialisation: the subclass's
     * own keys first, so that decoding a value may rely on them. The restored store hands its entries over once and
     * in no order ({@link RestoreOnlyStore#all()}), so the values wait in a list while the own keys are read.
     */
    protected final void load() {
        if (loaded) {
            return;
        }
        List<KeyValue<String, byte[]>> values = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> all = changelogged.all()) {
            while (all.hasNext()) {
                KeyValue<String, byte[]> entry = all.next();
                if (entry.key.startsWith("~")) {
                    own.put(entry.key, entry.value);
                    readOwn(entry.key, entry.value);
                } else {
                    values.add(entry);
                }
            }
        }
        for (KeyValue<String, byte[]> entry : values) {
            // The entry a value of an earlier version may have been adopted into already: one entry a key.
            Entry<V> read = live.computeIfAbsent(entry.key, Entry::new);
            read.persisted = true;
            if (earlierVersion(entry.key)) {
                // Read into the current form (adopt), and deleted at the next commit.
                readEarlierVersion(entry.key, entry.value);
                changed(read);
            } else {
                V value = decode(entry.value);
                if (read.value == null) {
                    size++;
                }
                read.value = value;
                if (outdated(entry.value)) {
                    // Written again in the current layout at the next commit.
                    changed(read);
                }
                loaded(entry.key, value);
            }
        }
        last = null;
        loaded = true;
    }

    @Override
    public void flushCache() {
        for (Entry<V> entry : dirty) {
            entry.dirty = false;
            if (entry.value != null) {
                changelogged.put(entry.key, encode(entry.value));
                entry.persisted = true;
            } else {
                if (entry.persisted) {
                    changelogged.delete(entry.key);
                }
                live.remove(entry.key, entry);
            }
        }
        dirty.clear();
        epoch++;
        writeOwn(ownKeys);
    }

    private final OwnKeys ownKeys = new OwnKeys() {
        @Override
        public void put(String key, byte[] value) {
            changelogged.put(key, value);
            own.put(key, value);
        }

        @Override
        public void delete(String key) {
            changelogged.delete(key);
            own.remove(key);
        }
    };

    /**
     * Kafka Streams calls this when it turns the task into a standby or back (it recycles the task's stores, without
     * {@link #init}), right after the task's last commit: the values the live store holds then are the changelog's, and
     * go back to the store underneath, where a standby applies the changelog's later records and from where the task,
     * active again, reads them back. Values changed since the last commit (none, after it) are left out: the changelog
     * does not hold them.
     */
    @Override
    public void clearCache() {
        if (loaded && restored != null) {
            Map<Bytes, byte[]> values = new HashMap<>();
            own.forEach((key, value) -> values.put(serialized(key), value));
            for (Entry<V> entry : live.values()) {
                if (entry.value != null && entry.persisted && !entry.dirty) {
                    values.put(serialized(entry.key), encode(entry.value));
                }
            }
            restored.takeBack(values);
        }
        reset();
    }

    /** A key as the changelogging layer writes it ({@code Serdes.String()}). */
    private static Bytes serialized(String key) {
        return Bytes.wrap(key.getBytes(StandardCharsets.UTF_8));
    }

    /** Forgets every value, to be read back from the store underneath at the next use. */
    private void reset() {
        own.clear();
        live.clear();
        size = 0;
        dirty.clear();
        last = null;
        loaded = false;
        epoch++;
        resetOwn();
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
        // A task closed after an error is revived with the same stores: nothing of before may survive, the values
        // are read back from the changelog once it is restored.
        reset();
        changelogged.init(context, root);
    }

    @Override
    public void flush() {
        changelogged.flush();
    }

    @Override
    public void close() {
        reset();
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

    /** A builder of a live store named {@code name}, changelogged under {@code <application.id>-<name>-changelog}. */
    static <S extends LiveStore<?>> StoreBuilder<S> builder(
            String name, Function<KeyValueStore<String, byte[]>, S> factory) {
        return new LoggedStoreBuilder<>(
                name,
                Map.of(),
                logConfig -> factory.apply(Stores.keyValueStoreBuilder(
                                new ChangelogBytesStore.Supplier(new RestoreOnlyStore(name), "in-memory"),
                                Serdes.String(),
                                Serdes.ByteArray())
                        .withLoggingEnabled(logConfig)
                        .withCachingDisabled()
                        .build()));
    }

    /** A key's value (null once removed) and whether it changed since the last commit and the changelog holds it. */
    private static final class Entry<V> {
        final String key;
        V value;
        boolean dirty;
        /** Whether the key's latest changelog record is a value: a removed key needs a tombstone only then. */
        boolean persisted;

        Entry(String key) {
            this.key = key;
        }
    }
}
