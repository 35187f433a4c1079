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
import java.util.Iterator;
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
 * keys run side by side. At most {@code maxRunning} tasks run at once; a task that is not running yet (behind an
 * earlier task of its key, or at the head of its lane while {@code maxRunning} others run) is queued and takes no
 * running place, so a burst of tasks of one key never keeps the tasks of other keys from starting. A task at the head
 * of its lane waits for a running place in the order the lanes' heads got there: behind the heads of other keys that
 * waited before it (a lane whose task just ended goes to the back).
 *
 * <p>Queued tasks are bounded too: while {@code maxQueued} tasks are queued, the {@code Uni} returned by {@link
 * #submit} does not complete until one of them starts, so a caller that waits for it before submitting again (the
 * reactive messaging consumer, which reads the next record only then) is held back and memory stays bounded.
 *
 * <p>A task reports its own end (the listener acknowledges its record as the task's last step); the lanes only order
 * the tasks, bound them and, on {@link #stop}, end the ones still running without letting them report anything.
 *
 * <p>A task runs on the Vert.x context it was submitted from: the messaging connector hands each record to the listener
 * on a duplicated context of its own, which holds the record's logging MDC and trace context. A task that starts at
 * once runs there anyway; one that was queued is started on that context too, rather than on a thread of the
 * executor, where it would run with no context or with the one of the task that ended before it.
 */
final class AlertLanes {

    private final int maxRunning;
    private final int maxQueued;
    private final Executor executor;

    /** Per key, the tasks not finished in submission order: the head runs or waits for a place, the others wait. */
    private final Map<String, ArrayDeque<Task>> lanes = new HashMap<>();

    /** Heads of lanes waiting for a running place, in the order they became heads. */
    private final ArrayDeque<Task> ready = new ArrayDeque<>();

    private int running;
    private int queued;
    /** Completed when the queue has room again, for the submitter that filled it; null when nobody waits. */
    private CompletableFuture<Void> room;
    /** Completed when nothing runs any more, once stopping. */
    private CompletableFuture<Void> idle;

    private boolean stopped;

    AlertLanes(int maxRunning, int maxQueued) {
        this(maxRunning, maxQueued, Infrastructure.getDefaultExecutor());
    }

    /**
     * {@code executor} starts a task that was queued (so a long lane is no deep stack) when the task was submitted
     * outside a Vert.x context.
     */
    AlertLanes(int maxRunning, int maxQueued, Executor executor) {
        if (maxRunning < 1) {
            throw new IllegalArgumentException("maxRunning must be at least 1, was " + maxRunning);
        }
        if (maxQueued < 1) {
            throw new IllegalArgumentException("maxQueued must be at least 1, was " + maxQueued);
        }
        this.maxRunning = maxRunning;
        this.maxQueued = maxQueued;
        this.executor = executor;
    }

    private static final class Task {
        final String key;
        final Supplier<Uni<Void>> work;
        /** The Vert.x context the task was submitted from; null outside one. */
        final Context context;

        /** Given a running place: counted in {@code running}. */
        boolean started;
        /** Its work was called: from then on it may call the flag-service, and only a cancellation ends it early. */
        boolean begun;

        Cancellable running;
        boolean cancelled;

        Task(String key, Supplier<Uni<Void>> work, Context context) {
            this.key = key;
            this.work = work;
            this.context = context;
        }
    }

    /**
     * Adds {@code work} to the lane of {@code key}: it starts now when the lane is idle and fewer than {@code
     * maxRunning} tasks run, else once the tasks submitted before it under that key have ended and a running place is
     * free. The returned {@code Uni} completes at once while fewer than {@code maxQueued} tasks are queued, else when
     * one of them starts; after {@link #stop} it never completes and the work is not run.
     */
    Uni<Void> submit(String key, Supplier<Uni<Void>> work) {
        Task task = new Task(key, work, Vertx.currentContext());
        boolean startNow = false;
        CompletableFuture<Void> wait = null;
        synchronized (this) {
            if (stopped) {
                return Uni.createFrom().nothing();
            }
            ArrayDeque<Task> lane = lanes.computeIfAbsent(key, k -> new ArrayDeque<>());
            lane.add(task);
            if (lane.size() == 1 && running < maxRunning) {
                task.started = true;
                running++;
                startNow = true;
            } else {
                if (lane.size() == 1) {
                    ready.add(task);
                }
                queued++;
            }
            if (queued >= maxQueued) {
                if (room == null) {
                    room = new CompletableFuture<>();
                }
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
        synchronized (this) {
            if (task.cancelled) {
                return; // given up by stop() before it could start: it reports nothing
            }
            task.begun = true;
        }
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

    /** Starts a queued task on the context it was submitted from. */
    private void startLater(Task task) {
        try {
            if (task.context != null) {
                task.context.runOnContext(ignored -> start(task));
            } else {
                executor.execute(() -> start(task));
            }
        } catch (RuntimeException e) {
            // The context or executor refused it (shutting down): the task ends unstarted and frees its place.
            Log.errorf(e, "handling in lane %s could not start", task.key);
            finished(task);
        }
    }

    private void finished(Task task) {
        List<Task> toStart = new ArrayList<>();
        CompletableFuture<Void> freed = null;
        CompletableFuture<Void> drained = null;
        synchronized (this) {
            ArrayDeque<Task> lane = lanes.get(task.key);
            if (lane == null || !lane.remove(task)) {
                return; // ended after stop() gave it up
            }
            running--;
            if (lane.isEmpty()) {
                lanes.remove(task.key);
            } else if (!stopped) {
                // Behind the lanes that waited for a place before it: one busy key does not keep the others waiting.
                ready.add(lane.peek());
            }
            while (!stopped && running < maxRunning && !ready.isEmpty()) {
                Task next = ready.poll();
                next.started = true;
                running++;
                queued--;
                toStart.add(next);
            }
            if (room != null && queued < maxQueued) {
                freed = room;
                room = null;
            }
            if (idle != null && running == 0) {
                drained = idle;
            }
        }
        if (freed != null) {
            freed.complete(null);
        }
        if (drained != null) {
            drained.complete(null);
        }
        toStart.forEach(this::startLater);
    }

    /**
     * Stops: no task starts any more (the queued ones are dropped, and so is one given a place whose work was not
     * called yet: it waited, and is started on its context a moment later), the running ones get {@code grace} to
     * end, and those still running then are cancelled, so that they report nothing. Returns how many tasks did not
     * end.
     */
    int stop(Duration grace) {
        CompletableFuture<Void> drained;
        int dropped;
        synchronized (this) {
            stopped = true;
            dropped = queued;
            queued = 0;
            ready.clear();
            Iterator<ArrayDeque<Task>> each = lanes.values().iterator();
            while (each.hasNext()) {
                ArrayDeque<Task> lane = each.next();
                Task head = lane.peek();
                if (head != null && head.started && !head.begun) {
                    // Its start is on its way to its context: it must not look anything up now.
                    head.cancelled = true;
                    running--;
                    dropped++;
                }
                lane.removeIf(waiting -> !waiting.begun);
                if (lane.isEmpty()) {
                    each.remove();
                }
            }
            idle = new CompletableFuture<>();
            if (running == 0) {
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
            given = running;
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
            running = 0;
        }
        toCancel.forEach(Cancellable::cancel);
        return given;
    }

    /** Tasks running: started and not ended. */
    synchronized int inFlight() {
        return running;
    }

    /** Tasks queued: submitted and not started, behind an earlier task of their key or waiting for a place. */
    synchronized int waiting() {
        return queued;
    }
}
