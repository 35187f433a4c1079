package dev.rollguard.flag.api;

import dev.rollguard.flag.domain.Promotion;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A flag's rollout plan and where it stands at {@code at}: the timeline {@code GET /api/flags/{key}/rollout} serves
 * and {@code bin/rollguard rollout get} prints.
 *
 * @param phase ARCHIVED, KILLED, ABORTED, PAUSED, NO_PLAN (share set by hand), NOT_STARTED (plan not entered yet),
 *     COMPLETED (at the last stage) or PROGRESSING, the first that holds in that order
 * @param stageVersion the flag version that began the current stage; the guard's verdict on the stage carries the
 *     same number
 * @param secondsInStage time since the current stage was entered
 * @param soakRemainingSeconds time left before the current stage's soak is over, 0 when over
 */
public record RolloutResponse(
        String key,
        String phase,
        boolean enabled,
        double rolloutPercentage,
        Integer currentStage,
        Instant stageEnteredAt,
        Long stageVersion,
        Long secondsInStage,
        Long soakRemainingSeconds,
        boolean paused,
        String pauseReason,
        boolean killed,
        String killReason,
        boolean aborted,
        String abortReason,
        Integer abortedAtStage,
        FlagResponse.MinimumsResponse onMinimumsNotMet,
        List<StageView> stages,
        long version,
        Instant at) {

    /**
     * One stage of the timeline.
     *
     * @param status COMPLETED (passed), CURRENT, STOPPED (where an aborted rollout stopped) or PENDING
     */
    public record StageView(
            int index,
            String name,
            double percentage,
            long minSoakSeconds,
            long minClientsPerCohort,
            Promotion promotion,
            Integer tolerancePercent,
            String status) {}

    public static RolloutResponse of(FlagResponse flag, Instant now) {
        Integer current = flag.currentStage();
        Integer reached = current != null ? current : flag.abortedAtStage();
        List<StageView> stages = new ArrayList<>();
        for (int i = 0; i < flag.stages().size(); i++) {
            FlagResponse.StageResponse s = flag.stages().get(i);
            String status;
            if (reached != null && i < reached) {
                status = "COMPLETED";
            } else if (current != null && i == current) {
                status = "CURRENT";
            } else if (current == null && reached != null && i == reached) {
                status = "STOPPED";
            } else {
                status = "PENDING";
            }
            stages.add(new StageView(
                    i,
                    s.name(),
                    s.percentage(),
                    s.minSoakSeconds(),
                    s.minClientsPerCohort(),
                    s.promotion(),
                    s.tolerancePercent(),
                    status));
        }
        Long inStage = null;
        Long soakLeft = null;
        if (current != null
                && flag.stageEnteredAt() != null
                && current < flag.stages().size()) {
            inStage = Math.max(0, Duration.between(flag.stageEnteredAt(), now).toSeconds());
            soakLeft = Math.max(0, flag.stages().get(current).minSoakSeconds() - inStage);
        }
        return new RolloutResponse(
                flag.key(),
                phase(flag),
                flag.enabled(),
                flag.rolloutPercentage(),
                current,
                flag.stageEnteredAt(),
                flag.stageVersion(),
                inStage,
                soakLeft,
                flag.paused(),
                flag.pauseReason(),
                flag.killed(),
                flag.killReason(),
                flag.aborted(),
                flag.abortReason(),
                flag.abortedAtStage(),
                flag.onMinimumsNotMet(),
                List.copyOf(stages),
                flag.version(),
                now);
    }

    private static String phase(FlagResponse flag) {
        if (flag.archived()) {
            return "ARCHIVED";
        }
        if (flag.killed()) {
            return "KILLED";
        }
        if (flag.aborted()) {
            return "ABORTED";
        }
        if (flag.paused()) {
            return "PAUSED";
        }
        if (flag.stages().isEmpty()) {
            return "NO_PLAN";
        }
        if (flag.currentStage() == null) {
            return "NOT_STARTED";
        }
        return flag.currentStage() == flag.stages().size() - 1 ? "COMPLETED" : "PROGRESSING";
    }
}
