package dev.rollguard.ingest.domain;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Mergeable count of distinct client ids: the K minimum values estimator (Bar-Yossef et al., "Counting distinct
 * elements in a data stream", 2002). It keeps the K smallest 63-bit hashes seen; below K distinct values the count
 * is exact, above it the estimate is {@code (K - 1) / kthSmallestHash} scaled to the hash range, with a relative
 * standard error of about {@code 1 / sqrt(K - 2)} (3 % for K = 1024). Two counters merge by keeping the K smallest
 * of their union, so windows merge like the duration sketch does.
 *
 * <p>Hand-written because the one well-kept Java library for this (Apache DataSketches) needs JVM flags on Java 17
 * through its memory module; this estimator is forty lines and fully tested.
 *
 * <p>Not thread-safe, reads included: a read sorts the hashes added since the last one ({@link #add}). Each counter
 * belongs to one aggregate, used by one thread at a time.
 */
public final class DistinctCounter {

    private final int k;
    /**
     * The smallest hashes seen: {@code values[0..sorted)} ascending and distinct, then {@code values[sorted..size)}
     * hashes added since, in arrival order, possibly repeated. Primitive so (de)serializing is a copy.
     */
    private long[] values;

    private int size;
    private int sorted;

    public DistinctCounter(int k) {
        if (k < 2) {
            throw new IllegalArgumentException("k must be at least 2, was " + k);
        }
        this.k = k;
        this.values = new long[Math.min(k, 16)];
    }

    /**
     * Adds a 64-bit hash of a value; the top bit is dropped so hashes compare as non-negative longs.
     *
     * <p>Every event adds to the counter of each of its scopes (a few dozen), so an add only appends: the hashes are
     * sorted, deduplicated and cut to K in one go when the array is full or the counter is read ({@link #compact}),
     * instead of a binary search and a shift of the array per add. Once K hashes are known, a hash above the K-th
     * smallest is refused at once, as before.
     */
    public void add(long hash) {
        long h = hash >>> 1;
        if (sorted == k && h >= values[k - 1]) {
            return;
        }
        if (size == values.length) {
            if (values.length < 2 * k) {
                values = Arrays.copyOf(values, Math.min(2 * k, values.length * 2));
            } else {
                compact();
                if (sorted == k && h >= values[k - 1]) {
                    return;
                }
            }
        }
        values[size++] = h;
    }

    /**
     * Sorts the hashes added since the last compaction into the K smallest distinct ones. Only those are sorted, then
     * merged with the ones sorted before: a window's partial is compacted at every commit, mostly sorted already.
     */
    private void compact() {
        if (sorted == size) {
            return;
        }
        Arrays.sort(values, sorted, size);
        int start = 0;
        if (sorted > 0) {
            // Merged from the back into values[start..size), a repeat kept once: each write lands past every value
            // still to be read, as the values to write are never fewer than those to read.
            long[] added = Arrays.copyOfRange(values, sorted, size);
            int i = sorted - 1;
            int j = added.length - 1;
            int w = size;
            while (j >= 0) {
                long next = i >= 0 && values[i] >= added[j] ? values[i--] : added[j--];
                if (w == size || values[w] != next) {
                    values[--w] = next;
                }
            }
            // What is left of the sorted ones is smaller than everything written.
            System.arraycopy(values, 0, values, w - (i + 1), i + 1);
            start = w - (i + 1);
        }
        int n = 0;
        for (int i = start; i < size && n < k; i++) {
            if (n == 0 || values[i] != values[n - 1]) {
                values[n++] = values[i];
            }
        }
        size = n;
        sorted = n;
    }

    public void merge(DistinctCounter other) {
        compact();
        other.compact();
        long[] merged = new long[Math.min(k, size + other.size)];
        int i = 0;
        int j = 0;
        int n = 0;
        while (n < merged.length && (i < size || j < other.size)) {
            long next;
            if (j >= other.size || (i < size && values[i] <= other.values[j])) {
                next = values[i++];
                if (j < other.size && other.values[j] == next) {
                    j++;
                }
            } else {
                next = other.values[j++];
            }
            merged[n++] = next;
        }
        values = merged;
        size = n;
        sorted = n;
    }

    /** The exact count below K distinct values, the estimate above. */
    public long estimate() {
        compact();
        if (size < k) {
            return size;
        }
        double kth = (values[size - 1] + 1.0) / 0x1p63;
        return Math.round((k - 1) / kth);
    }

    /** The number of bytes {@link #write} takes. */
    public int encodedSize() {
        compact();
        return 2 * Integer.BYTES + size * Long.BYTES;
    }

    /** Writes K, the number of hashes and the hashes in ascending order; {@code out} has {@link #encodedSize} room. */
    public void write(ByteBuffer out) {
        compact();
        out.putInt(k);
        out.putInt(size);
        // One bulk copy: the counter is most of a window aggregate's bytes, written on every store update.
        out.asLongBuffer().put(values, 0, size);
        out.position(out.position() + size * Long.BYTES);
    }

    /** Reads what {@link #write} wrote, from the position of {@code in} on. */
    public static DistinctCounter read(ByteBuffer in) {
        DistinctCounter counter = new DistinctCounter(in.getInt());
        int size = in.getInt();
        counter.values = new long[Math.max(size, Math.min(counter.k, 16))];
        in.asLongBuffer().get(counter.values, 0, size);
        in.position(in.position() + size * Long.BYTES);
        counter.size = size;
        counter.sorted = size;
        return counter;
    }
}
