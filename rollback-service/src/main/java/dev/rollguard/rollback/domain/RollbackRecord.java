package dev.rollguard.rollback.domain;

import dev.rollguard.schemas.event.GuardAction;
import dev.rollguard.schemas.event.RollbackOutcome;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One action of the guard, as stored. Its id is the idempotency key sent to the flag-service: alert fingerprint +
 * ":" + alert startsAt millis, so an alert read twice maps to the same row; for an alert decided again when a
 * cooldown ended, that id and the number of the recheck ({@link #recheckIdFor}).
 *
 * @param outcome while {@link ActionState#PENDING}, the planned outcome ({@link RollbackOutcome#APPLIED})
 * @param published whether the RollbackActionEvent reached the rollbacks topic
 * @param unrecognized the stored names of the state, action, outcome, scope type and cohort that this release does not
 *     know (a newer release stored them), whose components here (in the evidence for the last two) are null; null when
 *     this release knows all five
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
        Instant createdAt,
        Unrecognized unrecognized) {

    /**
     * Names stored by a newer release that this release does not know; each null where the name is known.
     *
     * @param state the stored state
     * @param action the stored action
     * @param outcome the stored outcome
     * @param scopeType the stored scope type of the alert
     * @param cohort the stored cohort of the alert
     */
    public record Unrecognized(String state, String action, String outcome, String scopeType, String cohort) {}

    /** The state as stored, known to this release or not. */
    public String stateName() {
        return state != null ? state.name() : unrecognized.state();
    }

    /** The action as stored, known to this release or not. */
    public String actionName() {
        return action != null ? action.name() : unrecognized.action();
    }

    /** The outcome as stored, known to this release or not. */
    public String outcomeName() {
        return outcome != null ? outcome.name() : unrecognized.outcome();
    }

    /** The alert's scope type as stored, known to this release or not; null when none was stored. */
    public String scopeTypeName() {
        return evidence.scopeType() != null
                ? evidence.scopeType().name()
                : unrecognized == null ? null : unrecognized.scopeType();
    }

    /** The alert's cohort as stored, known to this release or not; null when none was stored. */
    public String cohortName() {
        return evidence.cohort() != null
                ? evidence.cohort().name()
                : unrecognized == null ? null : unrecognized.cohort();
    }

    /** The longest Idempotency-Key the flag-service accepts. */
    static final int MAX_ID = 200;

    /** Ends the id of the action decided when a cooldown ended, the first time. */
    static final String FIRST_RECHECK_SUFFIX = ":after-cooldown";

    /** Followed by the number of the recheck, ends the id of an action decided again when a later cooldown ended. */
    static final String RECHECK_SUFFIX = ":after-cooldown-";

    /** The longest recheck number a long holds, in digits: the suffix never pushes an id over {@link #MAX_ID}. */
    private static final int MAX_RECHECK_DIGITS = String.valueOf(Long.MAX_VALUE).length();

    /** The longest alert id a recheck's id keeps whole. */
    static final int MAX_RECHECK_BASE = MAX_ID - RECHECK_SUFFIX.length() - MAX_RECHECK_DIGITS;

    private static final Pattern COUNTED_RECHECK = Pattern.compile("(.*):after-cooldown-(\\d{1,18})", Pattern.DOTALL);

    /** Rechecks decided before they were counted added {@code :after-cooldown} once per recheck. */
    private static final Pattern STACKED_RECHECK = Pattern.compile("(.*?)((?::after-cooldown)+)", Pattern.DOTALL);

    /** The idempotency key of an alert firing: the same condition firing again later gets a new key. */
    public static String idFor(String fingerprint, Instant startsAt) {
        return fingerprint + ":" + startsAt.toEpochMilli();
    }

    /**
     * The id (and idempotency key) of the action decided when the cooldown that skipped {@code skippedId} ended: the
     * alert's own id and the number of this recheck: {@code <alert id>:after-cooldown} for the first (the id every
     * release has given it, so instances of two releases side by side make one action of it), {@code <alert
     * id>:after-cooldown-<n>} from the second on, at most {@link #MAX_ID} characters however often the alert is
     * skipped again. An alert id too long to keep whole is cut to a prefix and the SHA-256 of the whole, so the id
     * stays unique and the same after a restart.
     */
    public static String recheckIdFor(String skippedId) {
        String alertId = skippedId;
        long rechecks = 0;
        Matcher counted = COUNTED_RECHECK.matcher(skippedId);
        Matcher stacked = STACKED_RECHECK.matcher(skippedId);
        if (counted.matches()) {
            alertId = counted.group(1);
            rechecks = Long.parseLong(counted.group(2));
        } else if (stacked.matches()) {
            alertId = stacked.group(1);
            rechecks = stacked.group(2).length() / FIRST_RECHECK_SUFFIX.length();
        }
        long recheck = rechecks + 1;
        return fitted(alertId) + (recheck == 1 ? FIRST_RECHECK_SUFFIX : RECHECK_SUFFIX + recheck);
    }

    /** The alert id, or when too long a prefix of it and its SHA-256; an id fitted already is kept as it is. */
    private static String fitted(String alertId) {
        if (alertId.length() <= MAX_RECHECK_BASE) {
            return alertId;
        }
        String hash = HexFormat.of().formatHex(sha256(alertId));
        int cut = MAX_RECHECK_BASE - 1 - hash.length();
        // Never half a surrogate pair: the id is stored as text and sent in a header.
        if (Character.isHighSurrogate(alertId.charAt(cut - 1))) {
            cut--;
        }
        return alertId.substring(0, cut) + "~" + hash;
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
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
                createdAt,
                unrecognized == null
                                || (unrecognized.action() == null
                                        && unrecognized.scopeType() == null
                                        && unrecognized.cohort() == null)
                        ? null
                        : new Unrecognized(
                                null, unrecognized.action(), null, unrecognized.scopeType(), unrecognized.cohort()));
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
                createdAt,
                unrecognized);
    }
}
