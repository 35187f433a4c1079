package dev.rollguard.rollback.domain;

import java.time.Instant;
import java.util.List;

/**
 * A flag's rollout plan and where it stands, as the promoter reads it from the flag-service.
 *
 * @param stageVersion the flag version that began the current stage (the guard's verdict on the stage names the same)
 * @param version the flag's version now
 */
public record RolloutPlan(
        String key,
        boolean enabled,
        boolean killed,
        String killReason,
        boolean archived,
        List<Stage> stages,
        Integer currentStage,
        Instant stageEnteredAt,
        Long stageVersion,
        boolean paused,
        String pauseReason,
        boolean aborted,
        String abortReason,
        Minimums minimums,
        long version) {

    /**
     * One stage.
     *
     * @param auto whether the stage advances by itself once its evidence allows it
     * @param tolerancePercent the relative worsening of any guarded metric the guard must rule out before the stage
     *     advances by itself (50: no metric more than 50 % worse than control); null: the guard's HEALTHY verdict
     */
    public record Stage(
            String name,
            double percentage,
            long minSoakSeconds,
            long minClientsPerCohort,
            boolean auto,
            Integer tolerancePercent) {}

    /**
     * What happens to a stage that does not reach its minimums in time.
     *
     * @param deadlineSeconds time from the stage's start (or the end of its soak, if later) to reach them
     * @param extensionSeconds the one extension granted after the deadline
     * @param revert after the extension: step back one stage (true) or hold, i.e. pause (false)
     */
    public record Minimums(long deadlineSeconds, long extensionSeconds, boolean revert) {}

    public RolloutPlan {
        stages = stages == null ? List.of() : List.copyOf(stages);
    }

    /** The stage in force, or null when the flag is not on its plan. */
    public Stage stage() {
        return currentStage == null || currentStage < 0 || currentStage >= stages.size()
                ? null
                : stages.get(currentStage);
    }

    /** The stage after the one in force, or null at the last stage or off the plan. */
    public Stage nextStage() {
        return currentStage == null || currentStage + 1 >= stages.size() ? null : stages.get(currentStage + 1);
    }

    /**
     * Where the rollout stands, as the flag-service's timeline names it: ARCHIVED, DISABLED, KILLED, ABORTED, PAUSED,
     * NO_PLAN, NOT_STARTED, COMPLETED or PROGRESSING, the first that holds in that order.
     */
    public String phase() {
        if (archived) {
            return "ARCHIVED";
        }
        if (!enabled) {
            return "DISABLED";
        }
        if (killed) {
            return "KILLED";
        }
        if (aborted) {
            return "ABORTED";
        }
        if (paused) {
            return "PAUSED";
        }
        if (stages.isEmpty()) {
            return "NO_PLAN";
        }
        if (stage() == null) {
            return "NOT_STARTED";
        }
        return nextStage() == null ? "COMPLETED" : "PROGRESSING";
    }
}
