package dev.rollguard.console.view;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A flag's rollout plan as the flag-service's {@code GET /api/flags/{key}/rollout} answers it: the phase, each stage
 * with its status, the current stage's soak, and what stopped the rollout (pause, kill, abort) and why.
 */
public record RolloutTimeline(
        String key,
        String phase,
        String rolloutPercentage,
        Integer currentStage,
        Instant stageEnteredAt,
        Long secondsInStage,
        Long soakRemainingSeconds,
        boolean paused,
        String pauseReason,
        boolean killed,
        String killReason,
        boolean aborted,
        String abortReason,
        Integer abortedAtStage,
        Long deadlineSeconds,
        Long extensionSeconds,
        String onMinimumsNotMet,
        List<Stage> stages,
        long version) {

    /**
     * One stage; {@code status} is COMPLETED, CURRENT, STOPPED (where an abort stopped) or PENDING;
     * {@code tolerancePercent} the worsening the guard must rule out before an automatic promotion (null: the
     * guard's own).
     */
    public record Stage(
            int index,
            String name,
            String percentage,
            long minSoakSeconds,
            long minClientsPerCohort,
            String promotion,
            Integer tolerancePercent,
            String status) {

        public boolean auto() {
            return "AUTO".equals(promotion);
        }

        public boolean current() {
            return "CURRENT".equals(status);
        }

        /** {@code 2. 50% (50 %)}: its place in the plan, name and share. */
        public String label() {
            return (index + 1) + ". " + name + " (" + percentage + " %)";
        }
    }

    /**
     * A rollout control as the flag page offers it: enabled, or disabled with the flag-service's reason for refusing
     * it in this state (the flag-service stays the judge: a control sent anyway is refused there and said).
     */
    public record Control(String action, String label, boolean enabled, String why, boolean danger) {}

    public static RolloutTimeline of(JsonNode n) {
        List<Stage> stages = new ArrayList<>();
        for (JsonNode s : n.path("stages")) {
            stages.add(new Stage(
                    s.path("index").asInt(stages.size()),
                    s.path("name").asText(),
                    FlagView.percent(s.get("percentage")),
                    s.path("minSoakSeconds").asLong(),
                    s.path("minClientsPerCohort").asLong(),
                    s.path("promotion").asText("manual").toUpperCase(Locale.ROOT),
                    s.path("tolerancePercent").isNumber()
                            ? s.path("tolerancePercent").asInt()
                            : null,
                    s.path("status").asText("PENDING")));
        }
        JsonNode minimums = n.path("onMinimumsNotMet");
        return new RolloutTimeline(
                n.path("key").asText(),
                n.path("phase").asText("UNKNOWN"),
                FlagView.percent(n.get("rolloutPercentage")),
                Json.lng(n, "currentStage") == null
                        ? null
                        : n.get("currentStage").asInt(),
                Json.instant(n, "stageEnteredAt"),
                Json.lng(n, "secondsInStage"),
                Json.lng(n, "soakRemainingSeconds"),
                n.path("paused").asBoolean(),
                Json.text(n, "pauseReason"),
                n.path("killed").asBoolean(),
                Json.text(n, "killReason"),
                n.path("aborted").asBoolean(),
                Json.text(n, "abortReason"),
                Json.lng(n, "abortedAtStage") == null
                        ? null
                        : n.get("abortedAtStage").asInt(),
                Json.lng(minimums, "deadlineSeconds"),
                Json.lng(minimums, "extensionSeconds"),
                minimums.isObject() ? Json.text(minimums, "then") : null,
                List.copyOf(stages),
                n.path("version").asLong());
    }

    public Stage current() {
        return currentStage == null || currentStage < 0 || currentStage >= stages.size()
                ? null
                : stages.get(currentStage);
    }

    public Stage next() {
        int next = currentStage == null ? 0 : currentStage + 1;
        return aborted || next >= stages.size() ? null : stages.get(next);
    }

    /** The stage a retry goes back to: where an abort stopped, or where the kill found the rollout. */
    public Stage retryTarget() {
        Integer target = aborted ? abortedAtStage : currentStage;
        return target == null || target < 0 || target >= stages.size() ? null : stages.get(target);
    }

    /** Seconds of the current stage's soak already run, capped at the soak (the progress bar's value). */
    public long soakDone() {
        Stage stage = current();
        if (stage == null || secondsInStage == null) {
            return 0;
        }
        return Math.min(secondsInStage, stage.minSoakSeconds());
    }

    public boolean soakOver() {
        return soakRemainingSeconds != null && soakRemainingSeconds == 0;
    }

    /** When the current stage's soak is over (or was). */
    public Instant soakEndsAt() {
        Stage stage = current();
        return stage == null || stageEnteredAt == null ? null : stageEnteredAt.plusSeconds(stage.minSoakSeconds());
    }

    /** What the minimums rule says, e.g. {@code within 86400 s, extended once by 86400 s, then hold}. */
    public String minimumsRule() {
        if (deadlineSeconds == null) {
            return null;
        }
        return "within " + deadlineSeconds + " s, extended once by "
                + (extensionSeconds == null ? deadlineSeconds : extensionSeconds) + " s, then "
                + (onMinimumsNotMet == null ? "hold" : onMinimumsNotMet.toLowerCase(Locale.ROOT));
    }

    /** Why the rollout is stopped, when it is: killed, aborted or paused, with the reason recorded. */
    public String stoppedBecause() {
        if (killed) {
            return "killed" + because(killReason);
        }
        if (aborted) {
            return "aborted" + because(abortReason);
        }
        if (paused) {
            return "paused" + because(pauseReason);
        }
        return null;
    }

    /** The five controls, each enabled or with the reason the flag-service would refuse it now. */
    public List<Control> controls() {
        List<Control> controls = new ArrayList<>();
        controls.add(new Control("promote", "Promote", promoteRefusal() == null, promoteRefusal(), false));
        controls.add(
                new Control("pause", "Pause", !paused, paused ? "already paused" + because(pauseReason) : null, false));
        controls.add(new Control("resume", "Resume", paused, paused ? null : "not paused: nothing to resume", false));
        String abortRefusal = aborted
                ? "already aborted" + because(abortReason) + ": retry it after a fix"
                : currentStage == null ? "not on its rollout plan: kill it to switch it off for everyone" : null;
        controls.add(new Control("abort", "Abort", abortRefusal == null, abortRefusal, true));
        boolean retryable = aborted || killed;
        controls.add(new Control(
                "retry", "Retry", retryable, retryable ? null : "neither aborted nor killed: nothing to retry", false));
        return controls;
    }

    private String promoteRefusal() {
        if (killed) {
            return "killed" + because(killReason) + ": after a fix, retry it";
        }
        if (aborted) {
            return "aborted" + because(abortReason) + ": after a fix, retry it";
        }
        if (paused) {
            return "paused" + because(pauseReason) + ": resume it first";
        }
        if (stages.isEmpty()) {
            return "no rollout plan: the share is set by hand";
        }
        if (next() == null) {
            return "already at its last stage";
        }
        return null;
    }

    private static String because(String reason) {
        return reason == null || reason.isBlank() ? "" : " (" + reason + ")";
    }
}
