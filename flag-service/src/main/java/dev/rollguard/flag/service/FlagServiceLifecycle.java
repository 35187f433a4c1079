package dev.rollguard.flag.service;

import dev.rollguard.flag.publisher.OutboxRelay;
import io.quarkus.logging.Log;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.quarkus.vertx.VertxContextSupport;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * The flag-service's start and its periodic jobs. At start: store the bootstrap tokens, load every flag into the
 * snapshot, and relay whatever a previous process committed but did not publish. Then, on timers: poll the outbox for
 * rows left behind, sample how many wait, and keep the token table fresh.
 */
@ApplicationScoped
public class FlagServiceLifecycle {

    private final TokenService tokens;
    private final FlagQueries flags;
    private final FlagSnapshot snapshot;
    private final OutboxRelay relay;
    private volatile boolean started;

    public FlagServiceLifecycle(TokenService tokens, FlagQueries flags, FlagSnapshot snapshot, OutboxRelay relay) {
        this.tokens = tokens;
        this.flags = flags;
        this.snapshot = snapshot;
        this.relay = relay;
    }

    /** Runs after the other start observers (the messaging channels among them), as the relay needs them. */
    void onStart(@Observes @Priority(Integer.MAX_VALUE / 2) StartupEvent event) throws Throwable {
        VertxContextSupport.subscribeAndAwait(
                () -> tokens.bootstrap().chain(flags::currentStates).invoke(snapshot::applyAll));
        snapshot.markLoaded();
        Log.infof(
                "flag snapshot loaded: %d flags, revision %s",
                snapshot.current().flags().size(), snapshot.current().revision());
        relay.start();
        started = true;
    }

    @Scheduled(
            every = "${flag-service.outbox.poll-interval:1s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void pollOutbox() {
        if (started) {
            relay.trigger();
        }
    }

    @Scheduled(
            every = "${flag-service.outbox.pending-sample-interval:10s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> sampleOutbox() {
        // The relay's emitter is connected only once the start observers ran: before that there is nothing to sample.
        return started ? relay.samplePending() : Uni.createFrom().voidItem();
    }

    @Scheduled(
            every = "${flag-service.tokens.refresh-interval:10s}",
            delayed = "${flag-service.tokens.refresh-interval:10s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> refreshTokens() {
        return tokens.reload();
    }
}
