package dev.rollguard.ingest.topology;

import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.state.KeyValueIterator;

/**
 * The bytes store under a {@link LiveStore}: the live store holds the values, so this one keeps only what a restore
 * reads back from the changelog, until the live store takes it with {@link #all()}. After that its writes reach the
 * changelog through the logging layer above it and are not kept here, so a value lives once in memory (as a live
 * object) instead of twice, and a commit costs no sorted-map insertion per changed key.
 *
 * <p>{@link #all()} hands the restored values over once: the live store's {@code load()} is its only reader. Until then,
 * writes are applied to the restored values so that they stay the changelog's latest. When the task becomes a standby,
 * the live store gives its values back ({@link #takeBack}), and the changelog's records that the standby reads are
 * applied to them again, until the task, active again, takes them over.
 */
final class RestoreOnlyStore extends ChangelogBytesStore {

    /** What a restore read back, until it is handed over; null once handed over. */
    private Map<Bytes, byte[]> restored = new HashMap<>();

    RestoreOnlyStore(String name) {
        super(name);
    }

    @Override
    public void init(StateStoreContext context, StateStore root) {
        restored = new HashMap<>();
        registerRestore(context, root, (key, value) -> put(Bytes.wrap(key), value));
    }

    @Override
    public void put(Bytes key, byte[] value) {
        if (restored == null) {
            return;
        }
        if (value == null) {
            restored.remove(key);
        } else {
            restored.put(key, value);
        }
    }

    @Override
    public byte[] putIfAbsent(Bytes key, byte[] value) {
        byte[] old = get(key);
        if (old == null) {
            put(key, value);
        }
        return old;
    }

    @Override
    public void putAll(List<KeyValue<Bytes, byte[]>> entries) {
        entries.forEach(e -> put(e.key, e.value));
    }

    @Override
    public byte[] delete(Bytes key) {
        return restored == null ? null : restored.remove(key);
    }

    /** The restored value of a key until the values are handed over; null after. */
    @Override
    public byte[] get(Bytes key) {
        return restored == null ? null : restored.get(key);
    }

    /**
     * Takes back the changelog's values (encoded, keys as the changelogging layer writes them) from the live store above,
     * which gives them up: later changelog records are applied to them until {@link #all()} hands them over again.
     */
    void takeBack(Map<Bytes, byte[]> values) {
        restored = values;
    }

    /** Hands the restored values over, once: later calls return nothing. */
    @Override
    public KeyValueIterator<Bytes, byte[]> all() {
        Iterator<Map.Entry<Bytes, byte[]>> entries = (restored == null ? Map.<Bytes, byte[]>of() : restored)
                .entrySet()
                .iterator();
        restored = null;
        return new KeyValueIterator<>() {
            @Override
            public boolean hasNext() {
                return entries.hasNext();
            }

            @Override
            public KeyValue<Bytes, byte[]> next() {
                Map.Entry<Bytes, byte[]> e = entries.next();
                return KeyValue.pair(e.getKey(), e.getValue());
            }

            @Override
            public Bytes peekNextKey() {
                throw new UnsupportedOperationException("peekNextKey is not supported by " + name());
            }

            @Override
            public void close() {}
        };
    }

    @Override
    public long approximateNumEntries() {
        return restored == null ? 0 : restored.size();
    }

    @Override
    public void flush() {}

    @Override
    public void close() {
        restored = null;
        closed();
    }

    @Override
    public boolean persistent() {
        return false;
    }
}
