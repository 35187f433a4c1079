package dev.rollguard.ingest.topology;

import java.time.Duration;
import java.util.Arrays;

/**
 * The wall-clock time during which this instance could reach the Kafka broker: the clock that idle time of the input
 * partitions is counted on ({@link TelemetryProcessor}). While the broker is unreachable no partition can make
 * progress, so that time is no evidence that a partition is silent; counting it as idle time let the wall clock close
 * the windows of an outage before the events that clients queued during it could arrive.
 *
 * <p>Reachability is known only at instants when a probe got an answer ({@link #reached(long)}); two answers at most
 * {@code maxGap} apart make the time between them reachable. So reachable time never runs ahead of the last answer:
 * while a probe is still waiting on a broker that just went away, the outage is already left uncounted.
 *
 * <p>One thread records answers; any thread reads. Spans older than the retention are forgotten, which only ever
 * undercounts reachable time (a partition then counts as idle later, never sooner).
 */
public final class BrokerReachability {

    private static final long[] NONE = new long[0];

    private final boolean always;
    private final long maxGapMs;
    private final long retentionMs;
    /** Reachable spans, oldest first, as start and end pairs; replaced whole on every change. */
    private volatile long[] spans = NONE;

    private BrokerReachability(boolean always, long maxGapMs, long retentionMs) {
        this.always = always;
        this.maxGapMs = maxGapMs;
        this.retentionMs = retentionMs;
    }

    /** Every instant counts as reachable: for topologies whose broker is never taken away (test drivers, benchmarks). */
    public static BrokerReachability always() {
        return new BrokerReachability(true, 0, 0);
    }

    /**
     * Reachability from probe answers: answers at most {@code maxGap} apart make the time between them reachable;
     * spans that ended more than {@code retention} before the latest answer are forgotten.
     */
    public static BrokerReachability probed(Duration maxGap, Duration retention) {
        if (maxGap.isNegative() || retention.compareTo(maxGap) < 0) {
            throw new IllegalArgumentException("the retention must be at least the gap: " + maxGap + ", " + retention);
        }
        return new BrokerReachability(false, maxGap.toMillis(), retention.toMillis());
    }

    /** Records that the broker answered at wall-clock time {@code atMs} (answers arrive in time order). */
    public synchronized void reached(long atMs) {
        if (always) {
            return;
        }
        long[] current = spans;
        int n = current.length;
        if (n > 0 && atMs <= current[n - 1]) {
            return;
        }
        long[] next;
        if (n > 0 && atMs - current[n - 1] <= maxGapMs) {
            next = current.clone();
            next[n - 1] = atMs;
        } else {
            int first = 0;
            while (first < n && current[first + 1] < atMs - retentionMs) {
                first += 2;
            }
            next = Arrays.copyOfRange(current, first, n + 2);
            next[next.length - 2] = atMs;
            next[next.length - 1] = atMs;
        }
        spans = next;
    }

    /** The wall-clock time of the latest answer, or {@link Long#MIN_VALUE} if there was none. */
    public long lastReached() {
        long[] current = spans;
        return current.length == 0 ? Long.MIN_VALUE : current[current.length - 1];
    }

    /** How much of the wall-clock time from {@code fromMs} to {@code toMs} the broker was reachable. */
    public long reachableMs(long fromMs, long toMs) {
        if (always) {
            return Math.max(0, toMs - fromMs);
        }
        long[] current = spans;
        long total = 0;
        for (int i = current.length - 2; i >= 0 && current[i + 1] > fromMs; i -= 2) {
            long start = Math.max(current[i], fromMs);
            long end = Math.min(current[i + 1], toMs);
            if (end > start) {
                total += end - start;
            }
        }
        return total;
    }

    /**
     * The latest wall-clock time from which {@code ms} of reachable time has passed by {@code nowMs}, or {@link
     * Long#MIN_VALUE} if less than that is known: where the present stood {@code ms} ago on the reachable clock.
     */
    public long reachableAgo(long nowMs, long ms) {
        if (always) {
            return nowMs - ms;
        }
        long[] current = spans;
        long remaining = ms;
        for (int i = current.length - 2; i >= 0; i -= 2) {
            long end = Math.min(current[i + 1], nowMs);
            long length = end - current[i];
            if (length <= 0) {
                continue;
            }
            if (length >= remaining) {
                return end - remaining;
            }
            remaining -= length;
        }
        return Long.MIN_VALUE;
    }
}
