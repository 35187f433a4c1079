package dev.rollguard.ingest.topology;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.WriteBufferManager;

/**
 * Bounds the off-heap memory of every RocksDB state store of the instance (Kafka Streams' {@code
 * rocksdb.config.setter}), as Kafka Streams' documentation ("RocksDB memory management") does it: one block cache
 * shared by every store, window-store segment and task, with the index and filter blocks cached in it (in its
 * high-priority pool, so data blocks do not evict them), and the memtables charged to it through one shared {@link
 * WriteBufferManager}. Without it each store, and each segment of a window store, gets its own 50 MiB cache and up to
 * three 16 MiB memtables, so memory grows with partitions, stores and segments until the container is killed, with no
 * JVM error. The dedup store's own RocksDB instances ({@link DedupIds}) apply this setter too.
 *
 * <p>The total is the Streams property {@value #MEMORY_BYTES_CONFIG} (metrics-ingest's {@code
 * rocksdb.memory-bytes}); a quarter of it may hold memtables. The cache is not strict: RocksDB cannot have a strict
 * capacity limit on a cache that the write buffers are charged to (the documentation's note on its constructor), so a
 * read that needs more than the capacity briefly goes over it rather than fail. The shared objects live as long as the
 * JVM, one pair per configured total (a JVM runs one configuration; tests run several side by side).
 */
public class BoundedMemoryRocksDBConfig implements RocksDBConfigSetter {

    static {
        RocksDB.loadLibrary();
    }

    /** Streams property: bytes of the shared block cache, memtables included. */
    public static final String MEMORY_BYTES_CONFIG = "rollguard.rocksdb.memory.bytes";
    /** Without {@value #MEMORY_BYTES_CONFIG}: 256 MiB, metrics-ingest's default of {@code rocksdb.memory-bytes}. */
    public static final long DEFAULT_MEMORY_BYTES = 256L * 1024 * 1024;

    /** The share of the cache that the memtables may take. */
    static final double MEMTABLE_SHARE = 0.25;
    /** The share of the cache reserved for index and filter blocks (high priority). */
    static final double INDEX_FILTER_BLOCK_RATIO = 0.1;
    /** Kafka Streams' own block size: small reads for the point look-ups of the windows, watermarks and dedup ids. */
    static final long BLOCK_SIZE = 4096;
    /** Memtables per store and their size: a store's writes between commits fit in one, while the other flushes. */
    static final int N_MEMTABLES = 2;

    static final long MEMTABLE_SIZE = 8L * 1024 * 1024;

    /** The smallest total accepted: two memtables' worth, 16 MiB. */
    public static final long MIN_MEMORY_BYTES = MEMTABLE_SIZE * N_MEMTABLES;

    /** The cache and write buffer manager that every store shares, by total size. */
    private record Shared(Cache cache, WriteBufferManager writeBuffers) {}

    private static final Map<Long, Shared> SHARED = new ConcurrentHashMap<>();
    /** Stores open with the shared memory, by name (a window store's segments each count). */
    private static final Map<String, Integer> OPEN = new ConcurrentHashMap<>();

    @Override
    public void setConfig(String storeName, Options options, Map<String, Object> configs) {
        Shared shared = SHARED.computeIfAbsent(memoryBytes(configs), BoundedMemoryRocksDBConfig::allocate);
        BlockBasedTableConfig tableConfig = (BlockBasedTableConfig) options.tableFormatConfig();
        // These three together bound the store's memory by the shared cache.
        tableConfig.setBlockCache(shared.cache());
        tableConfig.setCacheIndexAndFilterBlocks(true);
        options.setWriteBufferManager(shared.writeBuffers());
        tableConfig.setCacheIndexAndFilterBlocksWithHighPriority(true);
        tableConfig.setPinTopLevelIndexAndFilter(true);
        tableConfig.setBlockSize(BLOCK_SIZE);
        options.setMaxWriteBufferNumber(N_MEMTABLES);
        options.setWriteBufferSize(MEMTABLE_SIZE);
        options.setTableFormatConfig(tableConfig);
        OPEN.merge(storeName, 1, Integer::sum);
    }

    @Override
    public void close(String storeName, Options options) {
        // The cache and the write buffer manager are not closed: every other store still uses them.
        OPEN.computeIfPresent(storeName, (name, count) -> count > 1 ? count - 1 : null);
    }

    /** The configured total, {@value #MEMORY_BYTES_CONFIG}; a clear error when it is not a positive number. */
    static long memoryBytes(Map<String, ?> configs) {
        Object value = configs.get(MEMORY_BYTES_CONFIG);
        if (value == null) {
            return DEFAULT_MEMORY_BYTES;
        }
        long bytes;
        try {
            bytes = value instanceof Number number
                    ? number.longValue()
                    : Long.parseLong(value.toString().trim());
        } catch (NumberFormatException e) {
            throw new ConfigException(MEMORY_BYTES_CONFIG, value, "must be a number of bytes");
        }
        if (bytes < MIN_MEMORY_BYTES) {
            throw new ConfigException(MEMORY_BYTES_CONFIG, value, "must be at least " + MIN_MEMORY_BYTES + " bytes");
        }
        return bytes;
    }

    /** The stores open with the shared memory now, by name, and how many of each (a snapshot). */
    static Map<String, Integer> openStores() {
        return Map.copyOf(OPEN);
    }

    private static Shared allocate(long bytes) {
        Cache cache = new LRUCache(bytes, -1, false, INDEX_FILTER_BLOCK_RATIO);
        return new Shared(cache, new WriteBufferManager((long) (bytes * MEMTABLE_SHARE), cache));
    }
}
