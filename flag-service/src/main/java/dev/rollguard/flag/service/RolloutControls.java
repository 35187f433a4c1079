package dev.rollguard.flag.service;

import dev.rollguard.flag.api.FlagRequest;
import dev.rollguard.flag.domain.FlagEntity;
import dev.rollguard.flag.domain.Promotion;
import dev.rollguard.flag.domain.Stage;
import dev.rollguard.http.error.ApiException;
import dev.rollguard.http.error.ErrorBody;
import dev.rollguard.schemas.event.FlagChangeType;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The operator's controls of a rollout as transitions of the stored flag, in the manner of Argo Rollouts: promote,
 * pause, resume, abort and retry, and a kill of a flag that is already killed. Each either changes the flag and says
 * what it did, or refuses with the reason an operator can act on.
 */
final class RolloutControls {

    /**
     * What a control did.
     *
     * @param action the audit action
     * @param type the change type published on flags.changes
     * @param fromStage stage index before, null when off the plan
     * @param toStage stage index after, null when off the plan
     * @param changed false when only the audit log records the request (the flag's state stays as it was)
     */
    record Transition(String action, FlagChangeType type, Integer fromStage, Integer toStage, boolean changed) {}

    private RolloutControls() {}

    /**
     * Moves to the next stage of the plan (the first when the flag is not on it yet). Refused for a killed, aborted
     * or paused flag, at the last stage, and before the current stage's soak time unless {@code skipSoak}; when
     * {@code expectedStageVersion} is given, refused unless the current stage began at that version (the evidence the
     * caller judged belongs to it); when {@code automatic}, refused unless the current stage's promotion is auto.
     */
    static Transition promote(
            FlagEntity flag,
            List<Stage> stages,
            boolean skipSoak,
            Long expectedStageVersion,
            boolean automatic,
            Instant now) {
        refuseStopped(flag, "promote");
        if (flag.paused) {
            throw ApiException.conflict(
                    "PAUSED",
                    "flag '" + flag.key + "' is paused" + because(flag.pauseReason)
                            + ": resume it (with a reason) before promoting");
        }
        if (stages.isEmpty()) {
            throw ApiException.conflict(
                    "NO_STAGE", "flag '" + flag.key + "' has no rollout plan: set its stages to promote it");
        }
        Integer current = flag.currentStage;
        refuseOtherStage(flag, expectedStageVersion, "judge the stage in force");
        if (automatic && (current == null || stages.get(current).promotion() != Promotion.AUTO)) {
            throw ApiException.conflict(
                    "MANUAL_STAGE",
                    current == null
                            ? "flag '" + flag.key + "' is not on its plan yet: an operator starts it"
                            : "stage '" + stages.get(current).name() + "' of flag '" + flag.key
                                    + "' is promoted by hand");
        }
        int target = current == null ? 0 : current + 1;
        if (target >= stages.size()) {
            Stage last = stages.get(stages.size() - 1);
            throw ApiException.conflict(
                    "LAST_STAGE",
                    "flag '" + flag.key + "' is already at its last stage '" + last.name() + "' ("
                            + percent(last.basisPoints()) + " %)");
        }
        if (current != null && !skipSoak && flag.stageEnteredAt != null) {
            Stage stage = stages.get(current);
            // A plan stored before soaks had an upper bound may hold one past the largest instant.
            Instant soaked =
                    flag.stageEnteredAt.plusSeconds(Math.min(stage.minSoakSeconds(), FlagRequest.MAX_DURATION_SECONDS));
            if (now.isBefore(soaked)) {
                throw ApiException.conflict(
                        "SOAK_NOT_ELAPSED",
                        "stage '" + stage.name() + "' soaks until " + soaked + " (" + stage.minSoakSeconds()
                                + " s); promote with skipSoak to go on now");
            }
        }
        FlagRules.enterStage(flag, stages, target, now);
        return new Transition("PROMOTE", FlagChangeType.STAGE_CHANGED, current, target, true);
    }

    /** Holds the rollout at its share. Pausing a paused flag changes nothing (so a repeated pause is harmless). */
    static Transition pause(FlagEntity flag, String reason) {
        if (flag.paused) {
            return null;
        }
        flag.paused = true;
        flag.pauseReason = blankToNull(reason);
        return new Transition("PAUSE", FlagChangeType.PAUSED, flag.currentStage, flag.currentStage, true);
    }

    /** Lets a paused rollout advance again; needs a reason, refused when not paused. */
    static Transition resume(FlagEntity flag, String reason) {
        requireReason("resume", reason);
        if (!flag.paused) {
            throw ApiException.conflict("NOT_PAUSED", "flag '" + flag.key + "' is not paused: nothing to resume");
        }
        flag.paused = false;
        flag.pauseReason = null;
        return new Transition("RESUME", FlagChangeType.RESUMED, flag.currentStage, flag.currentStage, true);
    }

    /**
     * Takes the rollout back to 0 %, serving the off value to everyone, and remembers the stage it stopped at for a
     * retry. Needs a reason; refused when already aborted or when the flag is not on its plan.
     */
    static Transition abort(FlagEntity flag, String reason) {
        requireReason("abort", reason);
        if (flag.aborted) {
            throw ApiException.conflict(
                    "ABORTED",
                    "flag '" + flag.key + "' is already aborted" + because(flag.abortReason)
                            + ": retry it after a fix");
        }
        Integer current = flag.currentStage;
        if (current == null) {
            throw ApiException.conflict(
                    "NOT_STARTED",
                    "flag '" + flag.key + "' is not on its rollout plan: kill it to switch it off for everyone");
        }
        flag.aborted = true;
        flag.abortReason = reason;
        flag.abortedAtStage = current;
        flag.currentStage = null;
        flag.rolloutBasisPoints = 0;
        return new Transition("ABORT", FlagChangeType.STAGE_CHANGED, current, null, true);
    }

    /**
     * After an abort or a kill, and a fix: back to the stage where the rollout stopped, its soak starting again, and
     * no longer paused. Needs a reason; refused when the flag is neither aborted nor killed.
     */
    static Transition retry(FlagEntity flag, List<Stage> stages, String reason, Instant now) {
        requireReason("retry", reason);
        if (!flag.aborted && !flag.killed) {
            throw ApiException.conflict(
                    "NOTHING_TO_RETRY",
                    "flag '" + flag.key + "' is neither aborted nor killed: promote, pause or resume it instead");
        }
        Integer from = flag.currentStage;
        Integer target = flag.aborted ? flag.abortedAtStage : flag.currentStage;
        if (target != null && target >= stages.size()) {
            throw ApiException.conflict(
                    "NO_STAGE",
                    "flag '" + flag.key + "' stopped at stage " + target + ", which its plan of " + stages.size()
                            + " stages no longer has: set a stage instead");
        }
        FlagChangeType type = flag.aborted ? FlagChangeType.STAGE_CHANGED : FlagChangeType.UNKILLED;
        flag.killed = false;
        flag.killReason = null;
        flag.aborted = false;
        flag.abortReason = null;
        flag.abortedAtStage = null;
        flag.paused = false;
        flag.pauseReason = null;
        if (target != null) {
            FlagRules.enterStage(flag, stages, target, now);
        }
        return new Transition("RETRY", type, from, target, true);
    }

    /**
     * Switches the flag off for everyone. A kill of a killed flag keeps the first reason on the flag and records the
     * new one in the audit log only.
     */
    static Transition kill(FlagEntity flag, String reason) {
        if (flag.killed) {
            return new Transition("KILL", FlagChangeType.KILLED, flag.currentStage, flag.currentStage, false);
        }
        flag.killed = true;
        flag.killReason = reason;
        return new Transition("KILL", FlagChangeType.KILLED, flag.currentStage, flag.currentStage, true);
    }

    /**
     * Refuses (409 STAGE_CHANGED) a change decided on the flag as it was at {@code expectedStageVersion} when the flag
     * has entered another stage since (its stage began after that version), is off its plan, or has no such version
     * yet; nothing is checked without an expected version. Any version within the stage passes, not only the one that
     * began it: the guard's evidence of a stage may start after the stage did (metrics-ingest starts the stage's client
     * statistics again when its allow-list changes or the flag is switched off and on within it).
     */
    private static void refuseOtherStage(FlagEntity flag, Long expectedStageVersion, String advice) {
        if (expectedStageVersion == null) {
            return;
        }
        Integer current = flag.currentStage;
        String why = null;
        if (current == null || flag.stageVersion == null) {
            why = " (it is off its plan)";
        } else if (flag.stageVersion > expectedStageVersion) {
            why = " (its stage began at " + flag.stageVersion + ")";
        } else if (expectedStageVersion > flag.version) {
            why = " (the flag is at version " + flag.version + ")";
        }
        if (why != null) {
            throw ApiException.conflict(
                    "STAGE_CHANGED",
                    "flag '" + flag.key + "' has entered another stage since version " + expectedStageVersion + why
                            + ": " + advice);
        }
    }

    /** Moves back one stage, or to a given stage; refused for an aborted flag (retry takes it back). */
    static Transition move(
            FlagEntity flag, List<Stage> stages, String action, Integer index, Long expectedStageVersion, Instant now) {
        if ("set".equals(action)) {
            refuseSet(flag);
        }
        refuseOtherStage(flag, expectedStageVersion, "look at the stage in force before moving it");
        Integer current = flag.currentStage;
        int target = "revert".equals(action) ? (current == null ? -1 : current - 1) : index;
        if (target < 0 || target >= stages.size()) {
            throw ApiException.conflict(
                    "NO_STAGE",
                    "flag '" + flag.key + "' has no stage to " + action + " to (" + stages.size() + " stages, current "
                            + current + ")");
        }
        if (Objects.equals(current, target)) {
            return null;
        }
        FlagRules.enterStage(flag, stages, target, now);
        return new Transition(
                "STAGE_" + action.toUpperCase(Locale.ROOT), FlagChangeType.STAGE_CHANGED, current, target, true);
    }

    /** Refuses to set a stage of an aborted flag (by the stage endpoint or an edit): a retry takes it back. */
    static void refuseSet(FlagEntity flag) {
        if (flag.aborted) {
            throw ApiException.conflict(
                    "ABORTED", "flag '" + flag.key + "' is aborted" + because(flag.abortReason) + ": retry it first");
        }
    }

    private static void refuseStopped(FlagEntity flag, String control) {
        if (flag.killed) {
            throw ApiException.conflict(
                    "KILLED",
                    "flag '" + flag.key + "' is killed" + because(flag.killReason) + ": cannot " + control
                            + "; after a fix, retry it");
        }
        if (flag.aborted) {
            throw ApiException.conflict(
                    "ABORTED",
                    "flag '" + flag.key + "' is aborted" + because(flag.abortReason) + ": cannot " + control
                            + "; after a fix, retry it");
        }
    }

    private static void requireReason(String control, String reason) {
        if (reason == null || reason.isBlank()) {
            throw new ApiException(
                    422,
                    "REASON_REQUIRED",
                    control + " needs a reason: say why, it is kept in the audit log",
                    List.of(new ErrorBody.Violation("reason", "is required to " + control)));
        }
    }

    private static String because(String reason) {
        return reason == null || reason.isBlank() ? "" : " (" + reason + ")";
    }

    private static String blankToNull(String text) {
        return text == null || text.isBlank() ? null : text;
    }

    private static String percent(int basisPoints) {
        return BigDecimal.valueOf(basisPoints, 2).stripTrailingZeros().toPlainString();
    }
}
