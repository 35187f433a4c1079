package dev.rollguard.ingest.topology;

import dev.rollguard.ingest.domain.Violation;
import java.time.Instant;

/**
 * Finds the events that arrive after their window closed on this input task: the window's end is at or before the
 * watermark the task last announced ({@link TelemetryProcessor}). Such an event is late everywhere (the merge may
 * already have emitted the window), so it is not counted in a window; it goes to the dead-letter topic with the code
 * {@code LATE} and is counted in {@code rollguard.ingest.late.events}, never dropped without a trace.
 */
final class Lateness {

    private final WindowClock clock;

    Lateness(WindowClock clock) {
        this.clock = clock;
    }

    /** Null when the event's window is still open at {@code watermark}, else the {@code LATE} violation. */
    Violation check(long eventTime, long watermark) {
        long windowEnd = clock.windowStart(eventTime) + clock.sizeMs();
        if (windowEnd > watermark) {
            return null;
        }
        return new Violation(
                Violation.LATE,
                "event time " + Instant.ofEpochMilli(eventTime) + " is in the window ending "
                        + Instant.ofEpochMilli(windowEnd) + ", closed when this partition's watermark reached "
                        + Instant.ofEpochMilli(watermark) + " (grace " + clock.graceMs() + " ms)");
    }
}
