package dev.rollguard.ingest.topology;

import java.time.Duration;

/** Tumbling windows of one size aligned to the epoch, and when they close: at their end plus the grace period. */
record WindowClock(long sizeMs, long graceMs) {

    static WindowClock of(Duration size, Duration grace) {
        return new WindowClock(size.toMillis(), grace.toMillis());
    }

    /** Start of the window holding {@code time}. */
    long windowStart(long time) {
        return Math.floorDiv(time, sizeMs) * sizeMs;
    }

    /**
     * The end of the latest window that {@code progress} closes (its end plus the grace period at or before
     * {@code progress}): the watermark of a task whose stream time is {@code progress}.
     */
    long closedBy(long progress) {
        return Math.floorDiv(progress - graceMs, sizeMs) * sizeMs;
    }
}
