package dev.rollguard.rollback.domain;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** The path from the first breaching event to clients seeing the change; later steps stay null until they happen. */
public record Timings(
        Instant firstBreachAt,
        Instant windowClosedAt,
        Instant alertFiredAt,
        Instant alertReceivedAt,
        Instant flagChangedAt,
        Instant visibleAt) {

    /** Milliseconds, like the event's timestamp-millis fields: the history and the event show the same instants. */
    public Timings {
        firstBreachAt = millis(firstBreachAt);
        windowClosedAt = millis(windowClosedAt);
        alertFiredAt = millis(alertFiredAt);
        alertReceivedAt = millis(alertReceivedAt);
        flagChangedAt = millis(flagChangedAt);
        visibleAt = millis(visibleAt);
    }

    private static Instant millis(Instant instant) {
        return instant == null ? null : instant.truncatedTo(ChronoUnit.MILLIS);
    }

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
