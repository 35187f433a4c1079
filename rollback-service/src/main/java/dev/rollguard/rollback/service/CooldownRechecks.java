package dev.rollguard.rollback.service;

import dev.rollguard.rollback.repository.RollbackRepository;
import io.quarkus.logging.Log;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;

/**
 * Looks again at the alerts skipped for a cooldown once it ends ({@link RollbackService#recheck}). The cooldown keeps
 * one breach from reverting stage after stage, but a change that is still bad when it ends must not be left as it is:
 * the alert-service announces a firing once, so without this the skipped alert would never be acted on while it kept
 * firing. Every instance runs it; the action's id makes a recheck made twice one action.
 */
@ApplicationScoped
public class CooldownRechecks {

    /** At most this many rechecks a round; the rest wait for the next one. */
    static final int BATCH = 100;

    private final RollbackRepository repository;
    private final RollbackService rollbacks;

    public CooldownRechecks(RollbackRepository repository, RollbackService rollbacks) {
        this.repository = repository;
        this.rollbacks = rollbacks;
    }

    @Scheduled(
            identity = "cooldown-rechecks",
            every = "${rollback-service.cooldown-recheck-interval}",
            delayed = "${rollback-service.cooldown-recheck-interval}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> scheduledRound() {
        return round(Instant.now());
    }

    /**
     * Rechecks every action due at {@code now}, one at a time; one that fails for good (not an outage, which recheck
     * waits out) is logged and not due again.
     */
    public Uni<Void> round(Instant now) {
        return repository
                .dueRechecks(now, BATCH)
                .onItem()
                .transformToMulti(due -> Multi.createFrom().iterable(due))
                .onItem()
                .transformToUniAndConcatenate(
                        due -> rollbacks.recheck(due).onFailure().recoverWithUni(failure -> {
                            // Transient failures are retried inside recheck; this one is a defect (an alert that no
                            // longer decodes, say). Trying it every round would log for ever and, once a batch of
                            // them is due, hold back every later recheck: it is said once and not looked at again.
                            Log.errorf(
                                    failure,
                                    "recheck of %s after its cooldown failed for good: not looked at again; the"
                                            + " skipped action stays in the history",
                                    due.id());
                            return repository.clearRecheck(due.id());
                        }))
                .collect()
                .last()
                .replaceWithVoid()
                .onFailure()
                .recoverWithItem(failure -> {
                    Log.warnf("cooldown rechecks not read: %s", failure.getMessage());
                    return null;
                });
    }
}
