package dev.rollguard.ingest.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The reachable clock that idle time is counted on: answers, gaps, outages, and how far back it remembers. */
class BrokerReachabilityTest {

    static final Duration GAP = Duration.ofSeconds(3);

    /** Answers every second from {@code fromMs} to {@code toMs}, both included. */
    static void answer(BrokerReachability reachability, long fromMs, long toMs) {
        for (long at = fromMs; at <= toMs; at += 1_000) {
            reachability.reached(at);
        }
    }

    @Test
    void nothingIsReachableBeforeTheFirstAnswer() {
        BrokerReachability reachability = BrokerReachability.probed(GAP, Duration.ofHours(1));
        assertThat(reachability.reachableMs(0, 60_000)).isZero();
        assertThat(reachability.reachableAgo(60_000, 1)).isEqualTo(Long.MIN_VALUE);
        assertThat(reachability.lastReached()).isEqualTo(Long.MIN_VALUE);
    }

    @Test
    void answersAtMostTheGapApartMakeTheTimeBetweenReachable() {
        BrokerReachability reachability = BrokerReachability.probed(GAP, Duration.ofHours(1));
        reachability.reached(0);
        reachability.reached(3_000);
        reachability.reached(5_500);
        assertThat(reachability.reachableMs(0, 10_000)).isEqualTo(5_500);
        assertThat(reachability.reachableMs(1_000, 4_000)).isEqualTo(3_000);
        assertThat(reachability.lastReached()).isEqualTo(5_500);
    }

    @Test
    void reachableTimeNeverRunsAheadOfTheLastAnswer() {
        BrokerReachability reachability = BrokerReachability.probed(GAP, Duration.ofHours(1));
        answer(reachability, 0, 4_000);
        // The broker went away after 4 s; until a probe fails (a timeout later) nothing says so, and the time since
        // the last answer already counts for nothing.
        assertThat(reachability.reachableMs(0, 6_000)).isEqualTo(4_000);
        assertThat(reachability.reachableMs(0, 600_000)).isEqualTo(4_000);
    }

    @Test
    void anOutageLongerThanTheGapIsNotReachableTime() {
        BrokerReachability reachability = BrokerReachability.probed(GAP, Duration.ofHours(1));
        answer(reachability, 0, 6_000); // reachable 6 s
        answer(reachability, 66_000, 70_000); // unreachable from 6 s to 66 s, then reachable again 4 s
        assertThat(reachability.reachableMs(0, 70_000)).isEqualTo(10_000);
        assertThat(reachability.reachableMs(3_000, 68_000)).isEqualTo(5_000);
        assertThat(reachability.reachableMs(10_000, 60_000))
                .as("inside the outage")
                .isZero();

        // Where the present stood 10 s ago on the reachable clock: before the outage, as far before its start as the
        // broker has been back.
        assertThat(reachability.reachableAgo(70_000, 10_000)).isZero();
        assertThat(reachability.reachableAgo(70_000, 4_000)).isEqualTo(66_000);
        assertThat(reachability.reachableAgo(70_000, 7_000)).isEqualTo(3_000);
        assertThat(reachability.reachableAgo(70_000, 10_001)).isEqualTo(Long.MIN_VALUE);
        // Asked for a present before the latest answers, only the time up to it counts.
        assertThat(reachability.reachableAgo(68_000, 4_000)).isEqualTo(4_000);
    }

    @Test
    void forgetsSpansOlderThanTheRetentionSoIdleTimeIsOnlyEverUndercounted() {
        BrokerReachability reachability = BrokerReachability.probed(GAP, Duration.ofMinutes(1));
        answer(reachability, 0, 10_000);
        answer(reachability, 20_000, 30_000);
        answer(reachability, 200_000, 205_000);
        assertThat(reachability.reachableMs(0, 205_000))
                .as("the spans that ended over a minute before the latest answer are gone")
                .isEqualTo(5_000);
    }

    @Test
    void alwaysCountsEveryInstant() {
        BrokerReachability always = BrokerReachability.always();
        always.reached(5);
        assertThat(always.reachableMs(1_000, 61_000)).isEqualTo(60_000);
        assertThat(always.reachableAgo(61_000, 10_000)).isEqualTo(51_000);
    }

    @Test
    void theRetentionCoversTheGap() {
        assertThatThrownBy(() -> BrokerReachability.probed(Duration.ofSeconds(3), Duration.ofSeconds(2)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
