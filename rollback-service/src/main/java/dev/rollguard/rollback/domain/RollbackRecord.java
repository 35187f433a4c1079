package dev.rollguard.rollback.domain;

import dev.rollguard.schemas.event.GuardAction;
import dev.rollguard.schemas.event.RollbackOutcome;
import java.time.Instant;

/**
 * One action of the guard, as stored. Its id is the idempotency key sent to the flag-service: alert fingerprint +
 * ":" + alert startsAt millis, so an alert read twice maps to the same row.
 *
 * @param outcome while {@link ActionState#PENDING}, the planned outcome ({@link RollbackOutcome#APPLIED})
 * @param published whether the RollbackActionEvent reached the rollbacks topic
 */
public record RollbackRecord(
        String id,
        ActionState state,
        String flagKey,
        GuardAction action,
        RollbackOutcome outcome,
        String reason,
        boolean dryRun,
        Evidence evidence,
        Long flagVersionBefore,
        Long flagVersionAfter,
        Timings timings,
        boolean published,
        Instant createdAt) {

    /** The idempotency key of an alert firing: the same condition firing again later gets a new key. */
    public static String idFor(String fingerprint, Instant startsAt) {
        return fingerprint + ":" + startsAt.toEpochMilli();
    }

    /** This action with its final outcome. */
    public RollbackRecord completed(
            RollbackOutcome finalOutcome, String finalReason, Long versionAfter, Instant changedAt) {
        return new RollbackRecord(
                id,
                ActionState.DONE,
                flagKey,
                action,
                finalOutcome,
                finalReason,
                dryRun,
                evidence,
                flagVersionBefore,
                versionAfter,
                timings.withFlagChangedAt(changedAt),
                published,
                createdAt);
    }

    public RollbackRecord withVisibleAt(Instant visibleAt) {
        return new RollbackRecord(
                id,
                state,
                flagKey,
                action,
                outcome,
                reason,
                dryRun,
                evidence,
                flagVersionBefore,
                flagVersionAfter,
                timings.withVisibleAt(visibleAt),
                published,
                createdAt);
    }
}
