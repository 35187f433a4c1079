package dev.rollguard.ingest.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.ingest.domain.Violation;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The offset a batch's sentAt gives, the threshold below which nothing moves, and the ends of epoch milliseconds. */
class ClockCorrectionTest {

    static final Duration THRESHOLD = Duration.ofSeconds(2);
    static final long RECEIVED = 1_767_225_600_000L;

    @Test
    void aClockAheadMovesTimesBackAndOneBehindMovesThemForward() {
        ClockCorrection ahead = ClockCorrection.of(Instant.ofEpochMilli(RECEIVED + 600_000), RECEIVED, THRESHOLD);
        assertThat(ahead.offsetMillis()).isEqualTo(-600_000);
        assertThat(ahead.applies()).isTrue();
        assertThat(ahead.correct(Instant.ofEpochMilli(RECEIVED + 570_000)))
                .isEqualTo(Instant.ofEpochMilli(RECEIVED - 30_000));

        ClockCorrection behind = ClockCorrection.of(Instant.ofEpochMilli(RECEIVED - 600_000), RECEIVED, THRESHOLD);
        assertThat(behind.offsetMillis()).isEqualTo(600_000);
        assertThat(behind.correct(Instant.ofEpochMilli(RECEIVED - 601_000)))
                .isEqualTo(Instant.ofEpochMilli(RECEIVED - 1_000));
    }

    @Test
    void anOffsetWithinTheThresholdMovesNothing() {
        for (long offset : new long[] {-2_000, -1, 0, 1_999, 2_000}) {
            ClockCorrection c = ClockCorrection.of(Instant.ofEpochMilli(RECEIVED - offset), RECEIVED, THRESHOLD);
            assertThat(c.applies()).as("offset %d", offset).isFalse();
            assertThat(c.correct(Instant.ofEpochMilli(RECEIVED))).isEqualTo(Instant.ofEpochMilli(RECEIVED));
        }
        assertThat(ClockCorrection.of(Instant.ofEpochMilli(RECEIVED - 2_001), RECEIVED, THRESHOLD)
                        .applies())
                .isTrue();
        assertThat(ClockCorrection.of(null, RECEIVED, THRESHOLD)).isEqualTo(ClockCorrection.NONE);
    }

    @Test
    void offsetsAndTimesBeyondEpochMillisecondsStopAtTheirEnds() {
        ClockCorrection far = ClockCorrection.of(Instant.ofEpochMilli(Long.MIN_VALUE), RECEIVED, THRESHOLD);
        assertThat(far.offsetMillis()).isEqualTo(Long.MAX_VALUE);
        assertThat(far.correct(Instant.ofEpochMilli(RECEIVED))).isEqualTo(Instant.ofEpochMilli(Long.MAX_VALUE));

        ClockCorrection ahead = ClockCorrection.of(Instant.ofEpochMilli(RECEIVED + 600_000), RECEIVED, THRESHOLD);
        assertThat(ahead.correct(Instant.ofEpochMilli(Long.MIN_VALUE + 1)))
                .isEqualTo(Instant.ofEpochMilli(Long.MIN_VALUE));
    }

    @Test
    void onlyARefusedTimeIsExplained() {
        ClockCorrection behind = ClockCorrection.of(Instant.ofEpochMilli(RECEIVED - 600_000), RECEIVED, THRESHOLD);
        Instant device = Instant.ofEpochMilli(RECEIVED);
        Violation future = behind.explain(new Violation(Violation.FUTURE_TIMESTAMP, "eventTime x is ahead"), device);
        assertThat(future.message()).contains("the device's eventTime " + device, "moved by 600000 ms", "sentAt");
        Violation negative = new Violation(Violation.NEGATIVE_VALUE, "durationMs must not be negative");
        assertThat(behind.explain(negative, device)).isEqualTo(negative);
    }
}
