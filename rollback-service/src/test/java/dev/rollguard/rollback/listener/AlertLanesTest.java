package dev.rollguard.rollback.listener;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The lanes the alert listener hands alerts to: one key in order, keys side by side, a bound on what runs that queued
 * work does not count against, a bound on what is queued, and a stop that gives running work a grace period and then
 * cancels it so that it reports nothing.
 */
@Timeout(30)
class AlertLanesTest {

    /** Starts a waiting task on the thread that ended the one before, so that every step here is deterministic. */
    private final AlertLanes lanes = new AlertLanes(2, 3, Runnable::run);

    private final List<String> started = new CopyOnWriteArrayList<>();
    private final List<String> reported = new CopyOnWriteArrayList<>();
    private final List<String> cancelled = new CopyOnWriteArrayList<>();
    private final Map<String, CompletableFuture<Void>> ends = new ConcurrentHashMap<>();

    /** A task that runs until {@link #end} and then reports (as the listener acknowledges its record). */
    private Supplier<Uni<Void>> task(String name) {
        CompletableFuture<Void> end = new CompletableFuture<>();
        ends.put(name, end);
        return () -> {
            started.add(name);
            return Uni.createFrom()
                    .completionStage(end)
                    .invoke(() -> reported.add(name))
                    .onCancellation()
                    .invoke(() -> cancelled.add(name));
        };
    }

    private void end(String name) {
        ends.get(name).complete(null);
    }

    private static boolean admitted(Uni<Void> submitted) {
        return submitted.subscribeAsCompletionStage().isDone();
    }

    @Test
    void tasksOfOneKeyRunOneAfterAnotherInTheOrderSubmitted() {
        lanes.submit("flag a", task("a1")).await().indefinitely();
        lanes.submit("flag a", task("a2")).await().indefinitely();

        assertThat(started).containsExactly("a1");
        assertThat(lanes.waiting()).isEqualTo(1);
        end("a1");
        assertThat(started).containsExactly("a1", "a2");
        assertThat(reported).containsExactly("a1");
        end("a2");
        assertThat(reported).containsExactly("a1", "a2");
        assertThat(lanes.inFlight()).isZero();
    }

    @Test
    void aTaskThatDoesNotEndHoldsOnlyItsOwnKey() {
        lanes.submit("flag a", task("a1")).await().indefinitely();
        lanes.submit("flag b", task("b1")).await().indefinitely();

        assertThat(started).containsExactly("a1", "b1");
        end("b1");
        assertThat(reported).containsExactly("b1");
        assertThat(lanes.inFlight()).isEqualTo(1);
    }

    @Test
    void tasksQueuedBehindOneKeyTakeNoRunningPlaceFromAnotherKey() {
        // Two may run; a1 runs (its flag-service call slow), a2 to a4 wait behind it in their lane.
        AlertLanes lanes = new AlertLanes(2, 10, Runnable::run);
        for (String name : List.of("a1", "a2", "a3", "a4")) {
            assertThat(admitted(lanes.submit("flag a", task(name)))).isTrue();
        }

        assertThat(admitted(lanes.submit("flag b", task("b1"))))
                .as("reading goes on")
                .isTrue();
        assertThat(started).as("b1 starts without waiting for a1").containsExactly("a1", "b1");
        assertThat(lanes.inFlight()).isEqualTo(2);
        assertThat(lanes.waiting()).isEqualTo(3);
        end("b1");
        assertThat(reported).containsExactly("b1");
        end("a1");
        assertThat(started).containsExactly("a1", "b1", "a2");
    }

    @Test
    void aFreeLaneWaitsForARunningPlaceInTurnBehindTheLanesThatWaitedBeforeIt() {
        AlertLanes lanes = new AlertLanes(2, 10, Runnable::run);
        lanes.submit("flag a", task("a1"));
        lanes.submit("flag a", task("a2"));
        lanes.submit("flag b", task("b1"));
        lanes.submit("flag c", task("c1"));

        assertThat(started).as("two run, c1 waits for a place").containsExactly("a1", "b1");
        assertThat(lanes.waiting()).isEqualTo(2);
        end("a1");
        // c1 waited for a place before a2 could start: it goes first, a2 gets the next place.
        assertThat(started).containsExactly("a1", "b1", "c1");
        end("b1");
        assertThat(started).containsExactly("a1", "b1", "c1", "a2");
        assertThat(lanes.waiting()).isZero();
    }

    @Test
    void aFailedTaskFreesItsLane() {
        lanes.submit("flag a", () -> Uni.createFrom().failure(new IllegalStateException("defect")))
                .await()
                .indefinitely();
        lanes.submit("flag a", task("a2")).await().indefinitely();

        assertThat(started).containsExactly("a2");
    }

    @Test
    void aTaskWaitingForAPlaceStartsWhenARunningTaskOfAnotherKeyFails() {
        AlertLanes lanes = new AlertLanes(2, 10, Runnable::run);
        lanes.submit("flag a", task("a1"));
        lanes.submit("flag b", task("b1"));
        lanes.submit("flag c", task("c1"));
        assertThat(started).as("two run, c1 waits for a place").containsExactly("a1", "b1");

        // a1's handling ends with a failure after it started (its dead letter could not be sent, say).
        ends.get("a1").completeExceptionally(new IllegalStateException("defect"));

        assertThat(started).as("the failed task's place goes to c1").containsExactly("a1", "b1", "c1");
        assertThat(reported).isEmpty();
        assertThat(lanes.inFlight()).isEqualTo(2);
        assertThat(lanes.waiting()).isZero();
        end("c1");
        end("b1");
        assertThat(reported).containsExactly("c1", "b1");
        assertThat(lanes.inFlight()).isZero();
    }

    @Test
    void aTaskGivenAPlaceJustBeforeTheStopNeverStarts() throws Exception {
        // Tasks that waited are started on their context a moment after they get a place: held here until released.
        List<Runnable> onTheirWay = new CopyOnWriteArrayList<>();
        AlertLanes lanes = new AlertLanes(1, 10, onTheirWay::add);
        lanes.submit("flag a", task("a1"));
        lanes.submit("flag a", task("a2"));
        lanes.submit("flag b", task("b1"));
        end("a1");
        assertThat(onTheirWay).as("b1 got a1's place and is on its way").hasSize(1);
        assertThat(lanes.waiting()).as("a2 still queued").isEqualTo(1);

        CompletableFuture<Integer> stopping = CompletableFuture.supplyAsync(() -> lanes.stop(Duration.ofSeconds(5)));
        await().atMost(Duration.ofSeconds(10)).until(() -> lanes.waiting() == 0);
        // b1's start reaches its context while the lanes stop.
        onTheirWay.forEach(Runnable::run);

        assertThat(started).as("b1 looks nothing up after the stop").containsExactly("a1");
        assertThat(stopping.get(1, TimeUnit.SECONDS))
                .as("b1 and a2 left for the next start, without waiting for the grace")
                .isEqualTo(2);
        assertThat(lanes.inFlight()).isZero();
        assertThat(reported).containsExactly("a1");
        assertThat(cancelled).isEmpty();
    }

    @Test
    void submittingWaitsWhileTheMaximumIsQueued() {
        assertThat(admitted(lanes.submit("flag a", task("a1")))).isTrue();
        assertThat(admitted(lanes.submit("flag b", task("b1")))).isTrue();
        assertThat(admitted(lanes.submit("flag a", task("a2")))).isTrue();
        assertThat(admitted(lanes.submit("flag c", task("c1")))).isTrue();
        Uni<Void> third = lanes.submit("flag b", task("b2"));

        CompletableFuture<Void> waiting = third.subscribeAsCompletionStage();
        assertThat(waiting.isDone()).as("three queued: reading waits").isFalse();
        assertThat(lanes.inFlight()).isEqualTo(2);
        assertThat(lanes.waiting()).isEqualTo(3);

        end("b1");
        // c1 takes b1's place: one queued task started, so the queue has room again.
        assertThat(started).containsExactly("a1", "b1", "c1");
        assertThat(waiting.isDone()).isTrue();
        assertThat(lanes.waiting()).isEqualTo(2);
    }

    @Test
    void stopLetsRunningTasksEndWithinTheGraceAndCancelsTheOthersWithoutReporting() {
        lanes.submit("flag a", task("a1"));
        lanes.submit("flag a", task("a2"));
        lanes.submit("flag b", task("b1"));
        lanes.submit("flag d", task("d1"));
        CompletableFuture.runAsync(() -> end("b1"), CompletableFuture.delayedExecutor(100, TimeUnit.MILLISECONDS));

        int left = lanes.stop(Duration.ofSeconds(2));

        // b1 ended in the grace period and reported; a1 never ended: cancelled, nothing reported; a2 (behind a1) and
        // d1 (waiting for a place) never started, not even when b1 freed one.
        assertThat(reported).containsExactly("b1");
        assertThat(cancelled).containsExactly("a1");
        assertThat(started).doesNotContain("a2", "d1");
        assertThat(left).isEqualTo(3);
        assertThat(lanes.inFlight()).isZero();
        assertThat(lanes.waiting()).isZero();
        // An alert read after the stop is not handled, and reading goes no further.
        assertThat(admitted(lanes.submit("flag c", task("c1")))).isFalse();
        assertThat(started).doesNotContain("c1");
        end("a1");
        assertThat(reported).doesNotContain("a1");
    }

    @Test
    void stopWithNothingInFlightReturnsAtOnce() {
        assertThat(lanes.stop(Duration.ofMinutes(1))).isZero();
    }

    @Test
    void theMaximaAreAtLeastOne() {
        assertThatThrownBy(() -> new AlertLanes(0, 1, Runnable::run)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new AlertLanes(1, 0, Runnable::run)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aTaskThatWaitedForItsKeyRunsOnTheVertxContextItWasSubmittedFrom() throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            // The executor the listener's lanes use, and a duplicated context per record, as the connector hands them.
            AlertLanes listenerLanes = new AlertLanes(10, 10);
            Context root = vertx.getOrCreateContext();
            Context first = VertxContext.createNewDuplicatedContext(root);
            Context second = VertxContext.createNewDuplicatedContext(root);
            CompletableFuture<Void> firstEnds = new CompletableFuture<>();
            AtomicReference<Context> secondRanOn = new AtomicReference<>();
            CompletableFuture<Void> secondEnded = new CompletableFuture<>();

            first.runOnContext(ignored -> listenerLanes
                    .submit("flag a", () -> Uni.createFrom().completionStage(firstEnds))
                    .subscribe()
                    .with(admitted -> {}));
            await().atMost(Duration.ofSeconds(10)).until(() -> listenerLanes.inFlight() == 1);
            second.runOnContext(ignored -> listenerLanes
                    .submit("flag a", () -> {
                        secondRanOn.set(Vertx.currentContext());
                        return Uni.createFrom().voidItem().invoke(() -> secondEnded.complete(null));
                    })
                    .subscribe()
                    .with(admitted -> {}));
            await().atMost(Duration.ofSeconds(10)).until(() -> listenerLanes.waiting() == 1);

            // The first ends on a thread of its own (as when a flag-service answer ends it), not on either context.
            firstEnds.complete(null);
            secondEnded.get(10, TimeUnit.SECONDS);

            assertThat(secondRanOn.get())
                    .as("the context the second task was submitted from")
                    .isSameAs(second);
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }
}
