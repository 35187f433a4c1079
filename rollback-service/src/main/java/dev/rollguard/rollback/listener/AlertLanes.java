package dev.rollguard.rollback.listener;

import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.smallrye.mutiny.subscription.Cancellable;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Lanes of work: the tasks of one key run one after another in the order they were submitted, tasks of different
 * keys run side by side. A task holds its place from its submission until its {@code Uni} ends (with an item, a
 * failure, or cancelled by {@link #stop}); while {@code maxInFlight} tasks hold one, the {@code Uni} returned by
 * {@link #submit} does not complete, so a caller that waits for it before submitting again (the reactive messaging
 * consumer, which reads the next record only then) is held back.
 *
 * <p>A task reports its own end (the listener acknowledges its record as the task's last step); the lanes only order
 * the tasks, bound them and, on {@link #stop}, end the ones still running without letting them report anything.
 *
 * <p>A task runs on the Vert.x context it was submitted from: the messaging connector hands each record to the listener
 * on a duplicated context of its own, which holds the record's logging MDC and trace context. A task that starts at
 * once runs there anyway; one that waited for an earlier task of its key is started on that context too, rather than
 * on a thread of the executor, where it would run with no context or with the one of the task that ended before it.
 */
final class AlertLanes {

    private final int maxInFlight;
    private final Executor executor;

    /** Per key, the tasks not finished in submission order: the head runs, the others wait for it. */
    private final Map<String, ArrayDeque<Task>> lanes = new HashMap<>();

    private int inFlight;
    /** Completed when a place frees up, for the submitter that filled the last one; null when nobody waits. */
    private CompletableFuture<Void> room;
    /** Completed when nothing is in flight any more, once stopping. */
    private CompletableFuture<Void> idle;

    private boolean stopped;

    AlertLanes(int maxInFlight) {
        this(maxInFlight, Infrastructure.getDefaultExecutor());
    }

    /**
     * {@code executor} starts a task that waited for an earlier one of its key (so a long lane is no deep stack) when
     * the task was submitted outside a Vert.x context.
     */
    AlertLanes(int maxInFlight, Executor executor) {
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight must be at least 1, was " + maxInFlight);
        }
        this.maxInFlight = maxInFlight;
        this.executor = executor;
    }

    private static final class Task {
        final String key;
        final Supplier<Uni<Void>> work;
        /** The Vert.x context the task was submitted from; null outside one. */
        final Context context;

        Cancellable running;
        boolean cancelled;

        Task(String key, Supplier<Uni<Void>> work, Context context) {
            this.key = key;
            this.work = work;
            this.context = context;
        }
    }

    /**
     * Adds {@code work} to the lane of {@code key}: it starts now when the lane is idle, else when the tasks submitted
     * before it under that key have ended. The returned {@code Uni} completes at once while fewer than {@code
     * maxInFlight} tasks are in flight, else when one of them ends; after {@link #stop} it never completes and the work
     * is not run.
     */
    Uni<Void> submit(String key, Supplier<Uni<Void>> work) {
        Task task = new Task(key, work, Vertx.currentContext());
        boolean startNow;
        CompletableFuture<Void> wait = null;
        synchronized (this) {
            if (stopped) {
                return Uni.createFrom().nothing();
            }
            inFlight++;
            ArrayDeque<Task> lane = lanes.computeIfAbsent(key, k -> new ArrayDeque<>());
            lane.add(task);
            startNow = lane.size() == 1;
            if (inFlight >= maxInFlight) {
                room = new CompletableFuture<>();
                wait = room;
            }
        }
        if (startNow) {
            start(task);
        }
        if (wait == null) {
            return Uni.createFrom().voidItem();
        }
        CompletableFuture<Void> waitFor = wait;
        return Uni.createFrom().completionStage(() -> waitFor);
    }

    private void start(Task task) {
        Cancellable running = Uni.createFrom()
                .<Void>deferred(task.work::get)
                .subscribe()
                .with(done -> finished(task), failure -> {
                    Log.errorf(failure, "handling in lane %s ended with a failure", task.key);
                    finished(task);
                });
        boolean cancelNow;
        synchronized (this) {
            task.running = running;
            cancelNow = task.cancelled;
        }
        if (cancelNow) {
            running.cancel();
        }
    }

    private void finished(Task task) {
        Task next = null;
        CompletableFuture<Void> freed = null;
        CompletableFuture<Void> drained = null;
        synchronized (this) {
            ArrayDeque<Task> lane = lanes.get(task.key);
            if (lane == null || !lane.remove(task)) {
                return; // ended after stop() gave it up
            }
            inFlight--;
            if (lane.isEmpty()) {
                lanes.remove(task.key);
            } else if (!stopped) {
                next = lane.peek();
            }
            if (room != null && inFlight < maxInFlight) {
                freed = room;
                room = null;
            }
            if (idle != null && inFlight == 0) {
                drained = idle;
            }
        }
        if (next != null) {
            Task following = next;
            if (following.context != null) {
                following.context.runOnContext(ignored -> start(following));
            } else {
                executor.execute(() -> start(following));
            }
        }
        if (freed != null) {
            freed.complete(null);
        }
        if (drained != null) {
            drained.complete(null);
        }
    }

    /**
     * Stops: no task starts any more (those waiting in a lane are dropped), the running ones get {@code grace} to end,
     * and those still running then are cancelled, so that they report nothing. Returns how many tasks did not end.
     */
    int stop(Duration grace) {
        CompletableFuture<Void> drained;
        int dropped = 0;
        synchronized (this) {
            stopped = true;
            for (ArrayDeque<Task> lane : lanes.values()) {
                while (lane.size() > 1) {
                    lane.removeLast();
                    dropped++;
                }
            }
            inFlight -= dropped;
            idle = new CompletableFuture<>();
            if (inFlight == 0) {
                idle.complete(null);
            }
            drained = idle;
        }
        try {
            drained.get(grace.toMillis(), TimeUnit.MILLISECONDS);
            return dropped;
        } catch (TimeoutException e) {
            return dropped + cancelRunning();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return dropped + cancelRunning();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    private int cancelRunning() {
        List<Cancellable> toCancel = new ArrayList<>();
        int given;
        synchronized (this) {
            given = inFlight;
            for (ArrayDeque<Task> lane : lanes.values()) {
                Task head = lane.peek();
                if (head != null) {
                    head.cancelled = true;
                    if (head.running != null) {
                        toCancel.add(head.running);
                    }
                }
            }
            lanes.clear();
            inFlight = 0;
        }
        toCancel.forEach(Cancellable::cancel);
        return given;
    }

    /** Tasks submitted and not ended. */
    synchronized int inFlight() {
        return inFlight;
    }

    /** Tasks waiting for an earlier task of their key. */
    synchronized int waiting() {
        return inFlight - lanes.size();
    }
}
