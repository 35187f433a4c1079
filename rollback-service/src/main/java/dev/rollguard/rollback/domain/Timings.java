package dev.rollguard.rollback.domain;

import java.time.Duration;
import java.time.Instant;

/** The path from the first breaching event to clients seeing the change; later steps stay null until they happen. */
public record Timings(
        Instant firstBreachAt,
        Instant windowClosedAt,
        Instant alertFiredAt,
        Instant alertReceivedAt,
        Instant flagChangedAt,
        Instant visibleAt) {

    public Timings withFlagChangedAt(Instant at) {
        return new Timings(firstBreachAt, windowClosedAt, alertFiredAt, alertReceivedAt, at, visibleAt);
    }

    public Timings withVisibleAt(Instant at) {
        return new Timings(firstBreachAt, windowClosedAt, alertFiredAt, alertReceivedAt, flagChangedAt, at);
    }

    /** Milliseconds from {@code from} to {@code to}, null when either is unknown. */
    public static Long millisBetween(Instant from, Instant to) {
        return from == null || to == null ? null : Duration.between(from, to).toMillis();
    }
}
