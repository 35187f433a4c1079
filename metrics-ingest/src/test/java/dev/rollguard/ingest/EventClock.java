package dev.rollguard.ingest;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Event times for the tests that share one running pipeline. A test that closes windows moves stream time forward;
 * later tests start their events at or after that point, so none of their events is late by accident.
 */
public final class EventClock {

    /** The %test window size and grace of application.properties. */
    public static final Duration SIZE = Duration.ofSeconds(2);

    public static final Duration GRACE = Duration.ofSeconds(1);

    private static final AtomicLong HIGH_WATER = new AtomicLong();

    private EventClock() {}

    /** A start time no earlier than the wall clock or any closing event sent before. */
    public static Instant start() {
        return Instant.ofEpochMilli(Math.max(System.currentTimeMillis(), HIGH_WATER.get()));
    }

    /** The start of the window after the one holding {@code time}: windows are aligned to the epoch. */
    public static Instant nextWindow(Instant time) {
        long size = SIZE.toMillis();
        return Instant.ofEpochMilli(Math.floorDiv(time.toEpochMilli(), size) * size + size);
    }

    /** The time of an event that closes every window containing {@code last}, recorded as the new high water. */
    public static Instant closing(Instant last) {
        Instant closer = last.plus(SIZE).plus(GRACE).plusMillis(500);
        HIGH_WATER.accumulateAndGet(closer.toEpochMilli(), Math::max);
        return closer;
    }
}
