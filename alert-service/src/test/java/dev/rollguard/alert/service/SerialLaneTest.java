package dev.rollguard.alert.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.smallrye.mutiny.Uni;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The evaluator's lane after a database outage: the no-data sweeps scheduled while a batch waited for the database
 * must neither pile up nor run with the times they were scheduled at, and the time the lane was held must not count
 * as silence.
 */
class SerialLaneTest {

    private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

    /** A clock the test moves. */
    private static final class MovingClock extends Clock {
        final AtomicReference<Instant> now = new AtomicReference<>(T0);

        @Override
        public Instant instant() {
            return now.get();
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        void advance(Duration by) {
            now.updateAndGet(t -> t.plus(by));
        }
    }

    private final MovingClock clock = new MovingClock();
    private final SerialLane lane = new SerialLane(Duration.ofSeconds(30), clock);

    @Test
    void sweepsScheduledWhileABatchHoldsTheLaneRunOnceAtTheTimeTheyStart() {
        CompletableFuture<String> database = new CompletableFuture<>();
        Uni<String> batch = lane.submit(() -> Uni.createFrom().completionStage(database));
        CompletableFuture<String> batchDone = batch.subscribeAsCompletionStage();

        // Twenty sweeps scheduled during a twenty-minute outage.
        List<Instant> ranAt = new ArrayList<>();
        List<CompletableFuture<Integer>> sweeps = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            clock.advance(Duration.ofMinutes(1));
            sweeps.add(lane.submitCoalesced(clock::instant, now -> {
                        ranAt.add(now);
                        return Uni.createFrom().item(ranAt.size());
                    })
                    .subscribeAsCompletionStage());
        }
        assertThat(ranAt).isEmpty();

        clock.advance(Duration.ofSeconds(5));
        Instant back = clock.instant();
        database.complete("stored");

        assertThat(batchDone).isCompletedWithValue("stored");
        assertThat(ranAt).as("one sweep, at the time it ran").containsExactly(back);
        assertThat(sweeps).allSatisfy(sweep -> assertThat(sweep).isCompletedWithValue(1));
        assertThat(lane.stallEndedAt()).as("the outage held the lane").isEqualTo(back);

        // Once the queued sweep started, a new one is queued again.
        lane.submitCoalesced(clock::instant, now -> {
                    ranAt.add(now);
                    return Uni.createFrom().item(ranAt.size());
                })
                .await()
                .indefinitely();
        assertThat(ranAt).hasSize(2);
    }

    @Test
    void aCoalescedTaskRunsAtTheLatestTimeItsRequestsTell() {
        CompletableFuture<Void> database = new CompletableFuture<>();
        lane.submit(() -> Uni.createFrom().completionStage(database))
                .subscribe()
                .with(x -> {});
        List<Instant> ranAt = new ArrayList<>();
        Instant later = T0.plus(Duration.ofMinutes(11));
        lane.submitCoalesced(clock::instant, now -> {
                    ranAt.add(now);
                    return Uni.createFrom().item(0);
                })
                .subscribe()
                .with(x -> {});
        CompletableFuture<Integer> joined = lane.submitCoalesced(() -> later, now -> {
                    ranAt.add(now);
                    return Uni.createFrom().item(0);
                })
                .subscribeAsCompletionStage();
        database.complete(null);
        assertThat(joined).isCompleted();
        assertThat(ranAt).containsExactly(later);
    }

    @Test
    void shortTasksAreNoStall() {
        lane.submit(() -> {
                    clock.advance(Duration.ofSeconds(1));
                    return Uni.createFrom().item(1);
                })
                .await()
                .indefinitely();
        assertThat(lane.stallEndedAt()).isNull();
    }

    @Test
    void aSlowSweepIsNoStallItHoldsNoWindowBack() {
        CompletableFuture<Integer> sweeping = new CompletableFuture<>();
        CompletableFuture<Integer> sweep = lane.submitCoalesced(
                        clock::instant, now -> Uni.createFrom().completionStage(sweeping))
                .subscribeAsCompletionStage();

        clock.advance(Duration.ofMinutes(2));
        sweeping.complete(0);

        assertThat(sweep).isCompletedWithValue(0);
        assertThat(lane.stallEndedAt()).isNull();
    }
}
