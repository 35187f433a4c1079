package dev.rollguard.ingest.domain;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.TreeSet;

/**
 * Mergeable count of distinct client ids: the K minimum values estimator (Bar-Yossef et al., "Counting distinct
 * elements in a data stream", 2002). It keeps the K smallest 63-bit hashes seen; below K distinct values the count
 * is exact, above it the estimate is {@code (K - 1) / kthSmallestHash} scaled to the hash range, with a relative
 * standard error of about {@code 1 / sqrt(K - 2)} (3 % for K = 1024). Two counters merge by keeping the K smallest
 * of their union, so windows merge like the duration sketch does.
 *
 * <p>Hand-written because the one well-kept Java library for this (Apache DataSketches) needs JVM flags on Java 17
 * through its memory module; this estimator is forty lines and fully tested.
 */
public final class DistinctCounter {

    private final int k;
    private final TreeSet<Long> smallest = new TreeSet<>();

    public DistinctCounter(int k) {
        if (k < 2) {
            throw new IllegalArgumentException("k must be at least 2, was " + k);
        }
        this.k = k;
    }

    /** Adds a 64-bit hash of a value; the top bit is dropped so hashes compare as non-negative longs. */
    public void add(long hash) {
        long h = hash >>> 1;
        if (smallest.size() < k) {
            smallest.add(h);
        } else if (h < smallest.last() && smallest.add(h)) {
            smallest.pollLast();
        }
    }

    public void merge(DistinctCounter other) {
        for (long h : other.smallest) {
            if (smallest.size() < k) {
                smallest.add(h);
            } else if (h < smallest.last() && smallest.add(h)) {
                smallest.pollLast();
            }
        }
    }

    /** The exact count below K distinct values, the estimate above. */
    public long estimate() {
        if (smallest.size() < k) {
            return smallest.size();
        }
        double kth = (smallest.last() + 1.0) / 0x1p63;
        return Math.round((k - 1) / kth);
    }

    public void write(DataOutput out) throws IOException {
        out.writeInt(k);
        out.writeInt(smallest.size());
        for (long h : smallest) {
            out.writeLong(h);
        }
    }

    public static DistinctCounter read(DataInput in) throws IOException {
        DistinctCounter counter = new DistinctCounter(in.readInt());
        int size = in.readInt();
        for (int i = 0; i < size; i++) {
            counter.smallest.add(in.readLong());
        }
        return counter;
    }
}
