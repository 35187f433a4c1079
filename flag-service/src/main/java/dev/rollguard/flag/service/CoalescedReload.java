package dev.rollguard.flag.service;

import io.smallrye.mutiny.TimeoutException;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * A reload that many callers may ask for at once and that runs for them once: a caller that asks while one is waiting
 * to start waits for that one; a caller that asks while one is running waits for the next, which starts when the
 * running one has finished (its read may predate the commit the caller needs to see), and at most one waits so. Two
 * start at least {@code interval} apart (a caller asking sooner waits for the next start). Each caller waits at most
 * {@code timeout}, then fails on its own with a {@link TimeoutException}, so a hung database query does not hold it;
 * the read itself runs to its end: giving it up would not stop the query in the database, and the next reload would
 * start a second read beside it. Every stream URL of a secret this instance has not loaded asks for one, so a burst
 * of them (browsers reconnecting after a rotation) costs at most two database reads, and the URLs of an old secret,
 * refused every time, cost at most one read per interval; while a read hangs, none more starts.
 */
final class CoalescedReload {

    private final Supplier<Uni<Void>> reload;
    private final long intervalNanos;
    private final Duration timeout;
    private final LongSupplier nanoTime;

    /** The reload that callers join, which has not started its read yet, or null. */
    private Uni<Void> waiting;

    /** The reload whose read has started and not finished, or null. */
    private Uni<Void> running;

    private boolean startedOnce;
    private long lastStart;

    CoalescedReload(Supplier<Uni<Void>> reload, Duration interval, Duration timeout, LongSupplier nanoTime) {
        this.reload = reload;
        this.intervalNanos = interval.toNanos();
        this.timeout = timeout;
        this.nanoTime = nanoTime;
    }

    /**
     * Completes when a reload that had not started its read when it was asked for has finished (read or failed), or
     * fails with a {@link TimeoutException} when that has not happened within the timeout.
     */
    Uni<Void> await() {
        return next().ifNoItem().after(timeout).fail();
    }

    /** The reload that has not started its read, queued now if there is none. */
    private synchronized Uni<Void> next() {
        if (waiting != null) {
            return waiting;
        }
        // The reload reads the database through the reactive client, which runs on a Vert.x context: back on the
        // caller's after a wait.
        Context context = Vertx.currentContext();
        Uni<Void> before = running == null ? Uni.createFrom().voidItem() : running;
        boolean afterAnother = running != null;
        Uni<Void> start = before.chain(() -> {
            long wait = startedOnce ? Math.max(0, lastStart + intervalNanos - nanoTime.getAsLong()) : 0;
            Uni<Void> spaced = Uni.createFrom().voidItem();
            if (wait > 0) {
                spaced = spaced.onItem().delayIt().by(Duration.ofNanos(wait));
            }
            if (context != null && (wait > 0 || afterAnother)) {
                spaced = spaced.emitOn(command -> context.runOnContext(ignored -> command.run()));
            }
            return spaced;
        });
        Uni<Void> run = start.invoke(this::started)
                .chain(() -> reload.get())
                .onFailure()
                .recoverWithNull()
                .onTermination()
                .invoke(this::finished)
                .memoize()
                .indefinitely();
        waiting = run;
        run.subscribe().with(ignored -> {}, ignored -> {});
        return run;
    }

    private synchronized void started() {
        startedOnce = true;
        lastStart = nanoTime.getAsLong();
        running = waiting;
        waiting = null;
    }

    private synchronized void finished() {
        running = null;
    }
}
