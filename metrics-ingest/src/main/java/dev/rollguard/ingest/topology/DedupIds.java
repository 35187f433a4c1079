package dev.rollguard.ingest.topology;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.ProcessorStateException;
import org.apache.kafka.streams.errors.TaskCorruptedException;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.CompressionType;
import org.rocksdb.FlushOptions;
import org.rocksdb.InfoLogLevel;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteOptions;

/**
 * The event ids one input task has seen within the dedup horizon, on disk: one RocksDB instance per time segment of
 * half the horizon (at least a minute), the id as key and its event time as value. Every table carries a Bloom filter,
 * so looking up an id never seen (nearly every event) reads no data block; a segment is deleted whole once the horizon
 * has passed its end, so ids expire without a scan. Nothing is written ahead to RocksDB's own log: the changelog is
 * what makes the ids durable ({@link DedupStore}).
 *
 * <p>As the bytes store under the changelogging layer of a {@link DedupStore}, it takes the changelog's records only
 * on restore: a record is a batch of ids ({@link DedupBatch}), or an id as the window store of earlier versions logged
 * it (its key the id, the event time and a sequence number; its value the time), both read into their segments; the
 * segments that store left in the task's directory are read in at the first start after an upgrade. The batches the store logs at its commits pass through {@link #put} and are ignored, their ids having been written when
 * they were seen.
 *
 * <p>The horizon is measured as the window store of earlier versions did: an id is a duplicate when it was seen at an
 * event time within the horizon of the new one, either side, and no earlier than the horizon before the latest event
 * time this task has seen (older ids have expired).
 */
final class DedupIds extends ChangelogBytesStore {

    static {
        RocksDB.loadLibrary();
    }

    /** The shortest horizon: a segment (at least a minute) must not be longer than it. */
    static final Duration MIN_HORIZON = Duration.ofMinutes(1);
    /** The file whose presence says the segments are as of the last flush; it holds the latest time seen. */
    private static final String CLEAN_MARK = "flushed";

    private static final long MIN_SEGMENT_MS = 60_000;
    private static final long CACHE_BYTES = 8L * 1024 * 1024;
    private static final long WRITE_BUFFER_BYTES = 8L * 1024 * 1024;

    private final long horizonMs;
    private final long segmentMs;
    /** Open segments by their start (event time, ms). */
    private final NavigableMap<Long, RocksDB> segments = new TreeMap<>();
    /** The value read back by a look-up, reused. */
    private final byte[] found = new byte[Long.BYTES];

    private Path dir;
    private LRUCache cache;
    private BloomFilter filter;
    private Options options;
    private WriteOptions writeOptions;
    /** Kafka Streams' {@code rocksdb.config.setter}, applied to these segments as to its own stores; null: none. */
    private RocksDBConfigSetter configSetter;
    /** The latest event time seen (or read back); ids older than the horizon before it have expired. */
    private long observed = Long.MIN_VALUE;

    /** Whether the segments on disk are as of the last flush (its mark is on disk). */
    private boolean clean;

    DedupIds(String name, long horizonMs) {
        super(name);
        checkHorizon(Duration.ofMillis(horizonMs));
        this.horizonMs = horizonMs;
        this.segmentMs = Math.max(MIN_SEGMENT_MS, horizonMs / 2);
    }

    /** Refuses a horizon shorter than {@link #MIN_HORIZON}, which a segment of a minute would outlast. */
    static void checkHorizon(Duration horizon) {
        if (horizon.compareTo(MIN_HORIZON) < 0) {
            throw new IllegalArgumentException(
                    "the dedup horizon (dedup.horizon) must be at least " + MIN_HORIZON + ", not " + horizon);
        }
    }

    /**
     * Whether {@code id} was seen within the horizon of {@code time}: at most the three or so segments that can hold
     * such a time are asked, each a Bloom filter check for an id never seen.
     */
    boolean seen(byte[] id, long time) {
        long from = Math.max(time - horizonMs, minLive());
        long to = time + horizonMs;
        if (from > to) {
            return false;
        }
        try {
            for (RocksDB segment :
                    segments.subMap(segmentOf(from), true, to, true).values()) {
                if (segment.get(id, found) == Long.BYTES) {
                    long at = readLong(found, 0);
                    if (at >= from && at <= to) {
                        return true;
                    }
                }
            }
            return false;
        } catch (RocksDBException e) {
            throw new ProcessorStateException("reading the event ids of " + name() + " failed", e);
        }
    }

    /**
     * Records {@code id} as seen at {@code time}; false, and nothing recorded, when the time has already expired (as
     * the window store of earlier versions dropped such a write).
     */
    boolean add(byte[] id, long time) {
        if (time < minLive()) {
            return false;
        }
        if (clean) {
            unmarkClean();
        }
        byte[] value = new byte[Long.BYTES];
        writeLong(value, 0, time);
        try {
            segment(time).put(writeOptions, id, value);
        } catch (RocksDBException e) {
            throw new ProcessorStateException("writing an event id to " + name() + " failed", e);
        }
        if (time > observed) {
            observed = time;
            expire();
        }
        return true;
    }

    /** The number of open segments (for tests). */
    int segmentCount() {
        return segments.size();
    }

    private long minLive() {
        return observed == Long.MIN_VALUE ? Long.MIN_VALUE : observed - horizonMs + 1;
    }

    private long segmentOf(long time) {
        return Math.floorDiv(time, segmentMs) * segmentMs;
    }

    private RocksDB segment(long time) throws RocksDBException {
        long start = segmentOf(time);
        RocksDB segment = segments.get(start);
        if (segment == null) {
            segment = openSegment(start);
        }
        return segment;
    }

    private RocksDB openSegment(long start) throws RocksDBException {
        RocksDB segment =
                RocksDB.open(options, dir.resolve(Long.toString(start)).toString());
        segments.put(start, segment);
        return segment;
    }

    /** Deletes the segments whose every time has left the horizon. */
    private void expire() {
        long minLive = minLive();
        while (!segments.isEmpty() && segments.firstKey() + segmentMs <= minLive) {
            long start = segments.firstKey();
            segments.remove(start).close();
            delete(dir.resolve(Long.toString(start)));
        }
    }

    private void restore(byte[] key, byte[] value) {
        if (value == null) {
            return;
        }
        if (DedupBatch.isBatch(key)) {
            DedupBatch.read(value, this::add);
        } else {
            addWindowStoreRecord(key, value);
        }
    }

    /** An id as the window store of earlier versions kept it: the id, the time and a sequence number; the time. */
    private void addWindowStoreRecord(byte[] key, byte[] value) {
        if (key.length > Long.BYTES + Integer.BYTES && value.length == Long.BYTES) {
            add(Arrays.copyOf(key, key.length - Long.BYTES - Integer.BYTES), readLong(value, 0));
        }
    }

    /**
     * Reads a segment that the window store of earlier versions left in the task's directory (an upgrade on a kept
     * state directory, whose changelog is read only from its checkpoint on) into the segments of this store, then
     * is deleted (once the ids read are on disk).
     */
    private void adoptWindowStoreSegment(Path segment) {
        try (Options readOnly = new Options();
                RocksDB earlier = RocksDB.openReadOnly(readOnly, segment.toString());
                RocksIterator records = earlier.newIterator()) {
            for (records.seekToFirst(); records.isValid(); records.next()) {
                addWindowStoreRecord(records.key(), records.value());
            }
            records.status();
        } catch (RocksDBException e) {
            throw new ProcessorStateException("reading the earlier dedup segment " + segment + " failed", e);
        }
    }

    @Override
    public void init(StateStoreContext context, StateStore root) {
        try {
            open(context);
        } catch (RuntimeException e) {
            // Nothing of a failed start may stay open: the next attempt in this JVM would find the segments locked.
            close();
            throw e;
        }
        registerRestore(context, root, this::restore);
    }

    /**
     * Opens the segments on disk. Without the mark of a clean flush (see {@link #flush}) they may hold ids of
     * transactions that never committed, while the changelog's checkpoint says they are whole: they are deleted and
     * the task declared corrupted, so that Kafka Streams wipes its state and reads every id back from the changelog.
     */
    private void open(StateStoreContext context) {
        dir = context.stateDir().toPath().resolve(name());
        cache = new LRUCache(CACHE_BYTES);
        filter = new BloomFilter(10);
        options = new Options()
                .setCreateIfMissing(true)
                .setTableFormatConfig(new BlockBasedTableConfig()
                        .setBlockCache(cache)
                        .setFilterPolicy(filter)
                        .setBlockSize(4096))
                .setWriteBufferSize(WRITE_BUFFER_BYTES)
                .setMaxWriteBufferNumber(2)
                .setCompressionType(CompressionType.NO_COMPRESSION)
                .setInfoLogLevel(InfoLogLevel.WARN_LEVEL);
        RocksDBConfigSetter setter = configSetter(context.appConfigs());
        if (setter != null) {
            // The same memory bound as Kafka Streams' stores (BoundedMemoryRocksDBConfig): the segments' cache and
            // memtables come out of the instance's shared cache instead of adding their own.
            setter.setConfig(name(), options, context.appConfigs());
            configSetter = setter;
        }
        writeOptions = new WriteOptions().setDisableWAL(true);
        observed = Long.MIN_VALUE;
        clean = false;
        TreeMap<Long, Path> earlier = new TreeMap<>();
        List<Long> starts = new ArrayList<>();
        try {
            Files.createDirectories(dir);
            try (Stream<Path> existing = Files.list(dir)) {
                for (Path entry : existing.toList()) {
                    String file = entry.getFileName().toString();
                    if (file.equals(CLEAN_MARK)) {
                        byte[] mark = Files.readAllBytes(entry);
                        if (mark.length == Long.BYTES) {
                            clean = true;
                            observed = readLong(mark, 0);
                        }
                    } else if (file.startsWith(name() + ".") && isNumber(file.substring(name().length() + 1))) {
                        earlier.put(Long.parseLong(file.substring(name().length() + 1)), entry);
                    } else if (isNumber(file)) {
                        starts.add(Long.parseLong(file));
                    }
                }
            }
            if (!starts.isEmpty() && !clean) {
                for (long start : starts) {
                    delete(dir.resolve(Long.toString(start)));
                }
                throw new TaskCorruptedException(Set.of(context.taskId()));
            }
            for (long start : starts) {
                openSegment(start);
            }
        } catch (IOException e) {
            throw new ProcessorStateException("reading the segments of " + name() + " failed", e);
        } catch (RocksDBException e) {
            throw new ProcessorStateException("opening a segment of " + name() + " failed", e);
        }
        if (!earlier.isEmpty()) {
            earlier.values().forEach(this::adoptWindowStoreSegment);
            // Durable before the earlier segments go: the checkpoint still counts them as the store's.
            flush();
            earlier.values().forEach(DedupIds::delete);
        }
    }

    private static boolean isNumber(String text) {
        if (text.isEmpty() || text.length() > 19) {
            return false;
        }
        for (int i = text.charAt(0) == '-' ? 1 : 0; i < text.length(); i++) {
            if (text.charAt(i) < '0' || text.charAt(i) > '9') {
                return false;
            }
        }
        return text.length() > (text.charAt(0) == '-' ? 1 : 0);
    }

    /** A batch logged at a commit: its ids are already here. */
    @Override
    public void put(Bytes key, byte[] value) {}

    @Override
    public byte[] putIfAbsent(Bytes key, byte[] value) {
        return null;
    }

    @Override
    public void putAll(List<KeyValue<Bytes, byte[]>> entries) {}

    @Override
    public byte[] delete(Bytes key) {
        return null;
    }

    /** The ids are looked up with {@link #seen}; the changelog's records are not kept. */
    @Override
    public byte[] get(Bytes key) {
        return null;
    }

    @Override
    public KeyValueIterator<Bytes, byte[]> all() {
        throw new UnsupportedOperationException("iteration is not supported by " + name());
    }

    @Override
    public long approximateNumEntries() {
        long entries = 0;
        for (RocksDB segment : segments.values()) {
            try {
                entries += segment.getLongProperty("rocksdb.estimate-num-keys");
            } catch (RocksDBException e) {
                throw new ProcessorStateException("reading the size of " + name() + " failed", e);
            }
        }
        return entries;
    }

    /**
     * Writes the segments' memory tables to disk, before Kafka Streams checkpoints the changelog's offset, and marks
     * the store clean with the latest time seen: the first write after removes the mark, so segments found without it
     * at a start may hold ids the changelog does not ({@link #open}).
     */
    @Override
    public void flush() {
        try (FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
            for (RocksDB segment : segments.values()) {
                segment.flush(flush);
            }
        } catch (RocksDBException e) {
            throw new ProcessorStateException("flushing " + name() + " failed", e);
        }
        byte[] mark = new byte[Long.BYTES];
        writeLong(mark, 0, observed);
        try {
            Path written = Files.write(dir.resolve(CLEAN_MARK + ".tmp"), mark);
            Files.move(
                    written,
                    dir.resolve(CLEAN_MARK),
                    StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new ProcessorStateException("marking " + name() + " flushed failed", e);
        }
        clean = true;
    }

    private void unmarkClean() {
        try {
            Files.deleteIfExists(dir.resolve(CLEAN_MARK));
        } catch (IOException e) {
            throw new ProcessorStateException("unmarking " + name() + " failed", e);
        }
        clean = false;
    }

    @Override
    public void close() {
        closed();
        segments.values().forEach(RocksDB::close);
        segments.clear();
        if (configSetter != null && options != null) {
            configSetter.close(name(), options);
        }
        configSetter = null;
        for (AutoCloseable resource : new AutoCloseable[] {writeOptions, options, filter, cache}) {
            if (resource != null) {
                Utils.closeQuietly(resource, name());
            }
        }
        writeOptions = null;
        options = null;
        filter = null;
        cache = null;
    }

    @Override
    public boolean persistent() {
        return true;
    }

    /** An instance of the configured {@code rocksdb.config.setter}, as Kafka Streams' RocksDB stores make one. */
    private static RocksDBConfigSetter configSetter(Map<String, Object> configs) {
        Object configured = configs.get(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG);
        if (configured instanceof Class<?> type) {
            return Utils.newInstance(type.asSubclass(RocksDBConfigSetter.class));
        }
        if (configured instanceof String type && !type.isBlank()) {
            try {
                return Utils.newInstance(type.trim(), RocksDBConfigSetter.class);
            } catch (ClassNotFoundException e) {
                throw new ProcessorStateException("the rocksdb.config.setter " + type + " was not found", e);
            }
        }
        return null;
    }

    private static void delete(Path path) {
        try {
            Utils.delete(path.toFile());
        } catch (IOException e) {
            throw new ProcessorStateException("deleting " + path + " failed", e);
        }
    }

    static long readLong(byte[] bytes, int at) {
        long value = 0;
        for (int i = 0; i < Long.BYTES; i++) {
            value = (value << 8) | (bytes[at + i] & 0xFF);
        }
        return value;
    }

    static void writeLong(byte[] bytes, int at, long value) {
        for (int i = Long.BYTES - 1; i >= 0; i--) {
            bytes[at + i] = (byte) value;
            value >>>= 8;
        }
    }
}
