package dev.rollguard.alert.domain;

import dev.rollguard.alert.domain.judgment.FlagVerdict;
import java.time.Instant;
import java.util.Objects;

/**
 * What one window (or, for comparative rules, the pair of cohort windows) says about the figure a rule watches.
 *
 * @param windowStart event-time start of the window
 * @param windowEnd event-time end of the window; the clock of every duration in the state machine
 * @param closedAt when the window was emitted (wall clock of the producer), or null
 * @param firstEventTime event time of the earliest event counted, or null
 * @param value the figure, or null when the window has none
 * @param sampleSize events behind the figure
 * @param comparison evidence of a comparative rule, else null
 * @param guard the guard's verdict on the flag's stage so far, for the guard rule, else null
 * @param stageVersion the version of the flag that began the stage the guard judged, for the guard rule, else null
 */
public record Observation(
        Instant windowStart,
        Instant windowEnd,
        Instant closedAt,
        Instant firstEventTime,
        Double value,
        long sampleSize,
        ComparisonResult comparison,
        FlagVerdict guard,
        Long stageVersion) {

    public Observation {
        Objects.requireNonNull(windowStart, "windowStart");
        Objects.requireNonNull(windowEnd, "windowEnd");
    }

    public Observation(
            Instant windowStart,
            Instant windowEnd,
            Instant closedAt,
            Instant firstEventTime,
            Double value,
            long sampleSize,
            ComparisonResult comparison) {
        this(windowStart, windowEnd, closedAt, firstEventTime, value, sampleSize, comparison, null, null);
    }

    /** A threshold observation. */
    public static Observation of(Instant windowStart, Instant windowEnd, Double value, long sampleSize) {
        return new Observation(windowStart, windowEnd, null, null, value, sampleSize, null);
    }
}
