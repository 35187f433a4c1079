package dev.rollguard.rollback.domain;

/**
 * What came of one action of the guard: stored, served by {@code GET /api/rollbacks} and counted under these names.
 * The {@code RollbackActionEvent} carries the same name when its schema's {@code ActionOutcome} has it ({@link
 * dev.rollguard.rollback.mapping.RollbackMapper#toEvent}).
 */
public enum ActionOutcome {
    /** The flag-service applied the change. */
    APPLIED,
    /** Decided, not applied: the flag's policy or the global switch asks for a dry run. */
    DRY_RUN,
    /** The flag is left as it is; the alert is recorded and published. */
    NOTIFIED,
    /** The guard changed the flag less than its cooldown ago; looked at again when the cooldown ends. */
    SKIPPED_COOLDOWN,
    /** The flag is already killed or disabled. */
    SKIPPED_ALREADY_OFF,
    /** The flag does not exist in the flag-service. */
    SKIPPED_NO_FLAG,
    /** The flag-service refused the change for good. */
    FAILED,
    /** PAUSE on a flag that was already paused. */
    SKIPPED_ALREADY_PAUSED,
    /**
     * REVERT_STAGE on an alert that judged a rollout stage no longer in force: the flag was already stepped back or
     * forward, so the stage it is in now is judged on its own evidence.
     */
    SKIPPED_STAGE_CHANGED
}
