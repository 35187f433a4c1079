package dev.rollguard.ingest.service;

import dev.rollguard.ingest.domain.Violation;
import java.time.Duration;
import java.time.Instant;

/**
 * How far a device's clock is off, from the time it stamped on a batch when it sent it ({@code sentAt}) and the time
 * the batch arrived. Each event's time moves by that offset: the device clock's error goes, the intervals between its
 * events stay. An offset within the threshold (network latency, small drift) moves nothing.
 *
 * @param offsetMillis arrival time minus {@code sentAt}: positive when the device clock is behind
 * @param applies whether the offset is past the threshold, so that event times move
 */
record ClockCorrection(long offsetMillis, boolean applies) {

    /** A batch without {@code sentAt}: its times stand as the device gave them. */
    static final ClockCorrection NONE = new ClockCorrection(0, false);

    static ClockCorrection of(Instant sentAt, long receivedAt, Duration threshold) {
        if (sentAt == null) {
            return NONE;
        }
        long sent = sentAt.toEpochMilli();
        long offset;
        try {
            offset = Math.subtractExact(receivedAt, sent);
        } catch (ArithmeticException e) {
            offset = sent < 0 ? Long.MAX_VALUE : Long.MIN_VALUE;
        }
        long limit = threshold.toMillis();
        return new ClockCorrection(offset, offset > limit || offset < -limit);
    }

    /**
     * The event time on the receiver's clock. A time the offset would carry beyond epoch milliseconds stops at their
     * end, which validation refuses as too old or in the future.
     */
    Instant correct(Instant deviceTime) {
        if (!applies || deviceTime == null) {
            return deviceTime;
        }
        long t = deviceTime.toEpochMilli();
        try {
            return Instant.ofEpochMilli(Math.addExact(t, offsetMillis));
        } catch (ArithmeticException e) {
            return Instant.ofEpochMilli(offsetMillis > 0 ? Long.MAX_VALUE : Long.MIN_VALUE);
        }
    }

    /** A time refused after it moved says so, with the time the device gave: else the client could not tell why. */
    Violation explain(Violation violation, Instant deviceTime) {
        boolean aboutTime = Violation.FUTURE_TIMESTAMP.equals(violation.code())
                || Violation.EXPIRED_TIMESTAMP.equals(violation.code());
        if (!applies || deviceTime == null || !aboutTime) {
            return violation;
        }
        return new Violation(
                violation.code(),
                violation.message() + " (the device's eventTime " + deviceTime + ", moved by " + offsetMillis
                        + " ms: the batch's sentAt against the receiver's clock)");
    }
}
