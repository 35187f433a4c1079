package dev.rollguard.alert.service;

import io.smallrye.mutiny.Uni;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Runs asynchronous tasks one at a time, in submission order, without blocking a thread: the evaluator's state is
 * touched by the Kafka consumer, the no-data sweep and reloads, and must see one of them at a time.
 *
 * <p>It remembers when a task last held it for longer than {@code stallAfter} (a write waiting for the database, a
 * reload retried through an outage): while it was held, no window could be evaluated, so that time is not silence.
 * A coalesced task (the sweep) holding it long does not count: it holds no window back.
 */
final class SerialLane {

    private final Duration stallAfter;
    private final Clock clock;

    private CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);
    private volatile Instant stallEndedAt;

    /** Coalesced submissions: the clocks of the requests joined to the one queued and not yet started. */
    private List<Supplier<Instant>> waitingClocks;

    private CompletableFuture<?> waitingResult;

    SerialLane(Duration stallAfter, Clock clock) {
        this.stallAfter = stallAfter;
        this.clock = clock;
    }

    synchronized <T> Uni<T> submit(Supplier<Uni<T>> task) {
        return submit(task, true);
    }

    /** {@code stalls}: whether this task holding the lane long counts as a stall (a sweep's own time does not). */
    private synchronized <T> Uni<T> submit(Supplier<Uni<T>> task, boolean stalls) {
        CompletableFuture<T> result = new CompletableFuture<>();
        tail = tail.thenCompose(ignored -> {
            Instant started = clock.instant();
            try {
                task.get().subscribe().with(result::complete, result::completeExceptionally);
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
            return result.handle((value, failure) -> {
                Instant ended = clock.instant();
                if (stalls && Duration.between(started, ended).compareTo(stallAfter) > 0) {
                    stallEndedAt = ended;
                }
                return null;
            });
        });
        CompletionStage<T> stage = result;
        return Uni.createFrom().completionStage(stage);
    }

    /**
     * Submits a task that needs the time it runs at, unless one is queued and has not started yet: then this request
     * joins it and gets its result. So however long the lane is held, at most one such task waits behind it, and it
     * runs at the latest of the times its requests' clocks tell when it starts (not at the time it was asked for).
     */
    @SuppressWarnings("unchecked")
    synchronized <T> Uni<T> submitCoalesced(Supplier<Instant> now, Function<Instant, Uni<T>> task) {
        if (waitingClocks != null) {
            waitingClocks.add(now);
            return Uni.createFrom().completionStage((CompletionStage<T>) waitingResult);
        }
        List<Supplier<Instant>> clocks = new ArrayList<>();
        clocks.add(now);
        CompletableFuture<T> result = new CompletableFuture<>();
        waitingClocks = clocks;
        waitingResult = result;
        submit(
                        () -> {
                            synchronized (SerialLane.this) {
                                if (waitingClocks == clocks) {
                                    waitingClocks = null;
                                    waitingResult = null;
                                }
                            }
                            Instant at = clocks.stream()
                                    .map(Supplier::get)
                                    .max(Comparator.naturalOrder())
                                    .orElseThrow();
                            return task.apply(at);
                            // A slow sweep is no window held back: only the tasks that read or write windows stall.
                        },
                        false)
                .subscribe()
                .with(result::complete, result::completeExceptionally);
        return Uni.createFrom().completionStage(result);
    }

    /** When a task last held the lane for longer than {@code stallAfter}; null when none has. */
    Instant stallEndedAt() {
        return stallEndedAt;
    }
}
