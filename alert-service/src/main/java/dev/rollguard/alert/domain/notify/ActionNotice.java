package dev.rollguard.alert.domain.notify;

import java.time.Instant;
import java.util.Map;

/**
 * An automatic action as receivers are told about it, whichever service took it: the rollback-service's answer to a
 * critical alert ({@code rollbacks}) or a step of the promoter ({@code rollouts}).
 *
 * @param topic the topic it was read from, {@code rollbacks} or {@code rollouts}
 * @param actionId the action's unique id (its idempotency key at the flag-service)
 * @param flagKey the flag acted on; null for a rollback-service notification about an alert that names no flag
 * @param action what was done: KILL, REVERT_STAGE, PAUSE, NOTIFY_ONLY (rollbacks); PROMOTE, EXTEND, HOLD, REVERT
 *     (rollouts)
 * @param outcome what came of it (APPLIED, DRY_RUN, FAILED, SKIPPED_..., REFUSED)
 * @param dryRun decided, not applied
 * @param reason the acting service's explanation, as written to the flag's audit log
 * @param evidence the evidence in one line for people
 * @param at when the action was decided or applied
 * @param details the event's other fields worth reading, in a stable order (JSON-ready values)
 */
public record ActionNotice(
        String topic,
        String actionId,
        String flagKey,
        String action,
        String outcome,
        boolean dryRun,
        String reason,
        String evidence,
        Instant at,
        Map<String, Object> details) {

    /** The acting service as people know it. */
    public String source() {
        return fromRollbackService() ? "rollback-service" : "promoter";
    }

    /** Whether the rollback-service took it (the console lists those on its automatic actions page). */
    public boolean fromRollbackService() {
        return !"rollouts".equals(topic);
    }

    /** Whether the flag actually changed (or, for EXTEND, the stage was extended). */
    public boolean applied() {
        return "APPLIED".equals(outcome);
    }

    /** A short headline, e.g. {@code KILL checkout-v2: APPLIED} or {@code PROMOTE checkout-v2 (dry run): DRY_RUN}. */
    public String headline() {
        return action + " " + (flagKey == null ? "(no flag)" : flagKey) + (dryRun ? " (dry run)" : "") + ": " + outcome;
    }
}
