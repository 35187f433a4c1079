package dev.rollguard.ingest.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.rollguard.ingest.mapping.WindowAggregateCodec;
import java.util.Random;
import org.junit.jupiter.api.Test;

class WindowAggregateTest {

    static final AggregateLimits LIMITS = new AggregateLimits(0.01, 64, 3, 2);

    static Observation sync(long time, boolean success, long duration, String error) {
        return new Observation(
                TelemetryKind.SYNC, time, success, duration, time, "t", 10, 100, 1, 0, 2, 0, false, error, error);
    }

    @Test
    void percentilesStayWithinTheSketchAccuracyAndSurviveMergeAndSerialization() {
        Random random = new Random(42);
        WindowAggregate a = new WindowAggregate(LIMITS);
        WindowAggregate b = new WindowAggregate(LIMITS);
        long[] all = new long[20_000];
        for (int i = 0; i < all.length; i++) {
            all[i] = 1 + (long) Math.abs(random.nextGaussian() * 2000);
            (i % 2 == 0 ? a : b).add(sync(i, true, all[i], null), LIMITS);
        }
        WindowAggregate merged = WindowAggregateCodec.decode(WindowAggregateCodec.encode(a))
                .merge(WindowAggregateCodec.decode(WindowAggregateCodec.encode(b)), LIMITS);
        java.util.Arrays.sort(all);
        for (double q : new double[] {0.5, 0.95, 0.99}) {
            double exact = all[(int) Math.floor(q * (all.length - 1))];
            assertThat(merged.durationQuantileMs(q)).isCloseTo(exact, within(exact * 0.01 + 1e-9));
        }
        assertThat(merged.eventCount()).isEqualTo(20_000);
        assertThat(merged.durationMinMs()).isEqualTo((double) all[0]);
        assertThat(merged.durationMaxMs()).isEqualTo((double) all[all.length - 1]);
    }

    @Test
    void keepsTheMostFrequentErrorCodesAndTheLatestErrors() {
        WindowAggregate a = new WindowAggregate(LIMITS);
        for (int i = 0; i < 5; i++) {
            a.add(sync(100 + i, false, 1, "TIMEOUT"), LIMITS);
        }
        a.add(sync(200, false, 1, "RARE_1"), LIMITS);
        a.add(sync(201, false, 1, "RARE_2"), LIMITS);
        a.add(sync(202, false, 1, "QUOTA_EXCEEDED"), LIMITS);
        a.add(sync(203, false, 1, "QUOTA_EXCEEDED"), LIMITS);
        WindowAggregate read = WindowAggregateCodec.decode(WindowAggregateCodec.encode(a));
        assertThat(read.topErrors()).extracting(e -> e.getKey()).startsWith("TIMEOUT", "QUOTA_EXCEEDED");
        assertThat(read.topErrors()).hasSize(3);
        assertThat(read.recentErrors()).extracting(RecentError::time).containsExactly(203L, 202L);
        assertThat(read.syncFailureCount()).isEqualTo(9);
    }

    @Test
    void mergedWindowsKeepTheRecentErrorsThatOneWindowCountingEveryEventKeeps() {
        Random random = new Random(8);
        for (int run = 0; run < 100; run++) {
            AggregateLimits limits = new AggregateLimits(0.01, 64, 3, 1 + random.nextInt(6));
            WindowAggregate[] parts = {
                new WindowAggregate(limits), new WindowAggregate(limits), new WindowAggregate(limits)
            };
            WindowAggregate all = new WindowAggregate(limits);
            for (WindowAggregate part : parts) {
                for (int i = random.nextInt(12); i > 0; i--) {
                    // Few distinct times, so that many errors tie.
                    Observation failure = sync(random.nextInt(6), false, 1, "E" + random.nextInt(1000));
                    part.add(failure, limits);
                    all.add(failure, limits);
                }
            }

            WindowAggregate merged = new WindowAggregate(limits);
            for (WindowAggregate part : parts) {
                merged.merge(part, limits);
            }

            assertThat(merged.recentErrors()).isEqualTo(all.recentErrors());
        }
    }

    @Test
    void errorsAddedOneByOneKeepTheLatestNewestFirstAndOfEqualTimesTheEarlierAdded() {
        Random random = new Random(11);
        for (int run = 0; run < 200; run++) {
            AggregateLimits limits = new AggregateLimits(0.01, 64, 3, 1 + random.nextInt(6));
            WindowAggregate aggregate = new WindowAggregate(limits);
            java.util.List<RecentError> added = new java.util.ArrayList<>();
            for (int i = random.nextInt(20); i > 0; i--) {
                // Mostly rising times, as events arrive, with ties and some out of order.
                long time = random.nextInt(4) == 0 ? random.nextInt(8) : 4 + i % 8;
                Observation failure = sync(time, false, 1, "E" + i);
                aggregate.add(failure, limits);
                added.add(new RecentError(time, "t", "E" + i, "E" + i));
            }
            // The reference: every error, stably sorted newest first, cut to the limit.
            java.util.List<RecentError> expected = added.stream()
                    .sorted(java.util.Comparator.comparingLong(RecentError::time)
                            .reversed())
                    .limit(limits.recentErrors())
                    .toList();

            assertThat(aggregate.recentErrors()).isEqualTo(expected);
        }
    }

    @Test
    void keepsTheEarliestExemplarsOnceAcrossMergesAndSerialization() {
        WindowAggregate a = new WindowAggregate(LIMITS);
        WindowAggregate b = new WindowAggregate(LIMITS);
        for (int i = 0; i < 8; i++) {
            (i % 2 == 0 ? a : b).exemplar(new EventExemplar("e" + i, 100 - i, "req-" + i, null));
        }
        b.exemplar(new EventExemplar("e7", 93, "req-7", null));

        WindowAggregate merged = WindowAggregateCodec.decode(WindowAggregateCodec.encode(a))
                .merge(WindowAggregateCodec.decode(WindowAggregateCodec.encode(b)), LIMITS)
                .merge(WindowAggregateCodec.decode(WindowAggregateCodec.encode(b)), LIMITS);

        assertThat(merged.exemplars()).extracting(EventExemplar::eventId).containsExactly("e7", "e6", "e5", "e4", "e3");
        assertThat(WindowAggregateCodec.decode(WindowAggregateCodec.encode(merged))
                        .exemplars())
                .isEqualTo(merged.exemplars());
    }

    @Test
    void emptyAggregateHasNoFigures() {
        WindowAggregate empty = WindowAggregateCodec.decode(WindowAggregateCodec.encode(new WindowAggregate(LIMITS)));
        assertThat(empty.durationAvgMs()).isNull();
        assertThat(empty.durationQuantileMs(0.5)).isNull();
        assertThat(empty.storageUsedPctMax()).isNull();
        assertThat(empty.firstEventTime()).isNull();
        assertThat(empty.distinctClients()).isZero();
    }
}
