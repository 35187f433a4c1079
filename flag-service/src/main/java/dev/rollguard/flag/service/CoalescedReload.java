package dev.rollguard.flag.service;

import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * A reload that many callers may ask for at once and that runs for them once: a caller that asks while one is waiting
 * to start or running waits for that one, and two start at least {@code interval} apart (a caller asking sooner waits
 * for the next start). Every stream URL of a secret this instance has not loaded asks for one, so a burst of them
 * (browsers reconnecting after a rotation) costs one database read, and the URLs of an old secret, refused every time,
 * cost at most one read per interval.
 */
final class CoalescedReload {

    private final Supplier<Uni<Void>> reload;
    private final long intervalNanos;
    private final LongSupplier nanoTime;

    /** The reload callers wait for now, or null when none is waiting to start or running. */
    private Uni<Void> pending;

    private boolean startedOnce;
    private long lastStart;

    CoalescedReload(Supplier<Uni<Void>> reload, Duration interval, LongSupplier nanoTime) {
        this.reload = reload;
        this.intervalNanos = interval.toNanos();
        this.nanoTime = nanoTime;
    }

    /** Completes when a reload that was pending or running when it was asked for, or the next one, has finished. */
    synchronized Uni<Void> await() {
        if (pending != null) {
            return pending;
        }
        long wait = startedOnce ? Math.max(0, lastStart + intervalNanos - nanoTime.getAsLong()) : 0;
        Uni<Void> start = Uni.createFrom().voidItem();
        if (wait > 0) {
            // The reload reads the database through the reactive client, which runs on a Vert.x context: back on the
            // caller's after the wait.
            Context context = Vertx.currentContext();
            start = start.onItem().delayIt().by(Duration.ofNanos(wait));
            if (context != null) {
                start = start.emitOn(command -> context.runOnContext(ignored -> command.run()));
            }
        }
        Uni<Void> run = start.invoke(this::started)
                .chain(() -> reload.get())
                .onFailure()
                .recoverWithNull()
                .onTermination()
                .invoke(this::finished)
                .memoize()
                .indefinitely();
        pending = run;
        run.subscribe().with(ignored -> {}, ignored -> {});
        return run;
    }

    private synchronized void started() {
        startedOnce = true;
        lastStart = nanoTime.getAsLong();
    }

    private synchronized void finished() {
        pending = null;
    }
}
