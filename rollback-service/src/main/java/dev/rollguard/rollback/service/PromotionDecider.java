package dev.rollguard.rollback.service;

import dev.rollguard.rollback.domain.Assessment;
import dev.rollguard.rollback.domain.Assessment.Decision;
import dev.rollguard.rollback.domain.Assessment.Wait;
import dev.rollguard.rollback.domain.GuardReading;
import dev.rollguard.rollback.domain.RolloutPlan;
import dev.rollguard.rollback.domain.StageHistory;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The promoter's rules, pure: from a flag's plan, the guard's verdict on its stage and the steps already taken in the
 * stage, what to do now. An auto stage advances when its soak is over, each cohort has its minimum clients, no rule is
 * pending or firing on the flag, and the guard's verdict on this very stage is HEALTHY (non-inferior on every guarded
 * metric with data, at the flag's confidence, always valid however often it is read) on windows judged up to the
 * soak's end and not older than the evidence age allows. A stage still short of its
 * minimums or of that verdict at its deadline is extended once; at the end of the extension it is held (paused) or
 * reverted one stage, as the plan says. A regression or an alert only ever holds promotion: acting on them is the
 * guard's part.
 */
public final class PromotionDecider {

    private PromotionDecider() {}

    /**
     * Assesses one flag.
     *
     * @param guard the guard's latest verdict on the flag, or null when it has none
     * @param guardProblem why the guard's verdicts could not be read this time, or null
     * @param maxEvidenceAge how old the newest window a verdict judged ({@link GuardReading#judgedAt}) may be for a
     *     promotion; null for no limit
     */
    public static Assessment assess(
            RolloutPlan plan,
            GuardReading guard,
            String guardProblem,
            StageHistory history,
            Instant now,
            Duration maxEvidenceAge) {
        RolloutPlan.Stage stage = plan.stage();
        RolloutPlan.Stage next = plan.nextStage();
        String phase = plan.phase();
        // A verdict counts only when it judges the stage in force: one of an earlier stage says nothing about this one.
        GuardReading verdict = guard != null
                        && guard.stageVersion() != null
                        && plan.stageVersion() != null
                        && guard.stageVersion() >= plan.stageVersion()
                ? guard
                : null;
        long treated = verdict == null ? 0 : verdict.treatedClients();
        long control = verdict == null ? 0 : verdict.controlClients();
        Long soakLeft = null;
        Instant soakEnd = null;
        Instant deadline = null;
        if (stage != null && plan.stageEnteredAt() != null) {
            soakEnd = plan.stageEnteredAt().plusSeconds(stage.minSoakSeconds());
            long millisLeft = Duration.between(now, soakEnd).toMillis();
            soakLeft = millisLeft <= 0 ? 0 : (millisLeft + 999) / 1000;
            long deadlineSeconds = Math.max(plan.minimums().deadlineSeconds(), stage.minSoakSeconds());
            deadline = plan.stageEnteredAt().plusSeconds(deadlineSeconds);
            if (history.extended()) {
                deadline = deadline.plusSeconds(plan.minimums().extensionSeconds());
            }
        }
        Builder out =
                new Builder(plan, stage, next, phase, verdict, treated, control, soakLeft, deadline, history, now);

        if (!"PROGRESSING".equals(phase)) {
            return out.build(Decision.STOPPED, List.of(), List.of(stopped(plan, phase)), null);
        }
        if (!stage.auto()) {
            return out.build(
                    Decision.MANUAL,
                    List.of(),
                    List.of("stage '" + stage.name() + "' is promoted by hand: promote it when ready"),
                    null);
        }

        Set<Wait> waits = EnumSet.noneOf(Wait.class);
        List<String> reasons = new ArrayList<>();
        if (soakLeft != null && soakLeft > 0) {
            waits.add(Wait.SOAK);
            reasons.add("soak: " + duration(soakLeft) + " left (until " + soakEnd + ")");
        }
        if (treated < stage.minClientsPerCohort() || control < stage.minClientsPerCohort()) {
            waits.add(Wait.MIN_CLIENTS);
            reasons.add("clients: " + treated + " treated, " + control + " control; " + stage.minClientsPerCohort()
                    + " needed in each");
        }
        // Alerts hold promotion whatever stage the verdict beside them judged: they are about the flag now.
        if (guard != null) {
            for (GuardReading.ActiveAlert alert : guard.alerts()) {
                waits.add(Wait.ALERTS);
                reasons.add("alert " + alert.phase().toLowerCase(Locale.ROOT) + ": '"
                        + (alert.ruleName() == null ? alert.ruleId() : alert.ruleName()) + "' " + alert.severity()
                        + " on " + alert.scopeKey());
            }
        }
        if (verdict != null && "REGRESSION".equals(verdict.status())) {
            waits.add(Wait.REGRESSION);
            reasons.add("guard verdict: REGRESSION" + summary(verdict));
        } else if (verdict == null || !evidenceAllows(verdict, stage)) {
            waits.add(Wait.VERDICT);
            if (guardProblem != null) {
                reasons.add("guard verdicts unavailable: " + guardProblem);
            } else if (verdict == null) {
                reasons.add("no guard verdict on this stage yet");
            } else if (stage.tolerancePercent() != null) {
                int tolerance = stage.tolerancePercent();
                reasons.add("guard verdict: " + verdict.status() + " (not yet shown within +" + tolerance
                        + " % of control on every guarded metric)" + summary(verdict));
                GuardReading.Metric widest = verdict.widest();
                if (widest != null) {
                    reasons.add("held back by " + widest.metric() + ": "
                            + (widest.shownWithin() == null
                                    ? "not yet shown within any tolerance"
                                    : "shown within +" + percent(100 * widest.shownWithin()) + " %")
                            + ", +" + tolerance + " % needed (" + widest.treatedClients() + " treated / "
                            + widest.controlClients() + " control clients)");
                }
            } else {
                reasons.add("guard verdict: " + verdict.status()
                        + " (not yet shown non-inferior on every guarded metric)" + summary(verdict));
                GuardReading.Metric weakest = verdict.weakest();
                if (weakest != null
                        && verdict.confidence() != null
                        && weakest.nonInferiorityP() > 1 - verdict.confidence()) {
                    reasons.add("held back by " + weakest.metric() + ": non-inferiority p = "
                            + String.format(Locale.ROOT, "%.3g", weakest.nonInferiorityP()) + ", at most "
                            + percent(1 - verdict.confidence()) + " needed (" + weakest.treatedClients() + " treated / "
                            + weakest.controlClients() + " control clients)");
                }
            }
        }

        // A verdict is only as recent as the newest window it judged. When the windows run late (a pipeline behind,
        // a starved machine), a verdict that still reads healthy may predate a regression already under way: the
        // windows since are not judged yet, so nothing may advance on it.
        if (verdict != null && !waits.contains(Wait.REGRESSION) && maxEvidenceAge != null) {
            Instant judged = verdict.judgedAt();
            if (judged == null || judged.isBefore(now.minus(maxEvidenceAge))) {
                waits.add(Wait.VERDICT);
                reasons.add(
                        judged == null
                                ? "guard evidence: the verdict names no window"
                                : "guard evidence "
                                        + duration(Duration.between(judged, now).toSeconds())
                                        + " old (windows judged up to " + judged + "), at most "
                                        + duration(maxEvidenceAge.toSeconds())
                                        + " for a promotion: the windows since are not judged yet");
            }
        }

        // The soak is observed time: the verdict must have judged the stage up to the soak's end. A verdict on the
        // windows before it says nothing of the soak's last minutes, when a regression that began late in the stage
        // shows only in windows not judged yet; promoting on it would carry that regression to the next share.
        if (verdict != null
                && !waits.contains(Wait.REGRESSION)
                && !waits.contains(Wait.SOAK)
                && soakEnd != null
                && verdict.judgedAt() != null
                && verdict.judgedAt().isBefore(soakEnd)) {
            waits.add(Wait.VERDICT);
            reasons.add("guard evidence: windows judged up to " + verdict.judgedAt() + ", the soak ended " + soakEnd
                    + ": waiting for the windows up to its end to be judged");
        }

        if (waits.isEmpty()) {
            return out.build(Decision.PROMOTE, List.of(), List.of(promotionReason(plan, stage, next, verdict)), now);
        }
        Instant expected = waits.equals(EnumSet.of(Wait.SOAK)) ? soakEnd : null;
        // The deadline is about evidence that does not come: not about a soak still running, nor about a regression or
        // an alert, which the guard handles.
        boolean shortOfEvidence = EnumSet.of(Wait.MIN_CLIENTS, Wait.VERDICT).containsAll(waits) && guardProblem == null;
        if (!shortOfEvidence || history.stopped() || deadline == null || now.isBefore(deadline)) {
            if (history.stopped() && shortOfEvidence) {
                reasons.add("held once in this stage: now waiting for its evidence without a deadline");
            } else if (shortOfEvidence && deadline != null) {
                reasons.add("deadline: " + deadline
                        + (history.extended()
                                ? " (extended once)"
                                : ", then one extension of "
                                        + duration(plan.minimums().extensionSeconds())));
            }
            return out.build(Decision.WAIT, List.copyOf(waits), reasons, expected);
        }
        if (!history.extended() && plan.minimums().extensionSeconds() > 0) {
            Instant until = deadline.plusSeconds(plan.minimums().extensionSeconds());
            reasons.add(
                    0,
                    "stage '" + stage.name() + "' missed its minimums by " + deadline + "; extended once, until "
                            + until);
            return out.extended(until).build(Decision.EXTEND, List.copyOf(waits), reasons, null);
        }
        if (plan.minimums().revert() && plan.currentStage() > 0) {
            RolloutPlan.Stage previous = plan.stages().get(plan.currentStage() - 1);
            reasons.add(
                    0,
                    "stage '" + stage.name() + "' still missed its minimums after its extension; back to '"
                            + previous.name() + "' (" + percent(previous.percentage()) + " %) as the plan says");
            return out.build(Decision.REVERT, List.copyOf(waits), reasons, null);
        }
        reasons.add(
                0,
                "stage '" + stage.name() + "' still missed its minimums after its extension; held at "
                        + percent(stage.percentage()) + " % until an operator resumes or promotes it"
                        + (plan.minimums().revert() ? " (no earlier stage to revert to)" : ""));
        return out.build(Decision.HOLD, List.copyOf(waits), reasons, null);
    }

    /**
     * Whether the verdict lets the stage advance: HEALTHY (every guarded metric non-inferior at the guard's own
     * tolerance), or, for a stage with a tolerance of its own, every reported metric shown within it.
     */
    private static boolean evidenceAllows(GuardReading verdict, RolloutPlan.Stage stage) {
        return stage.tolerancePercent() == null
                ? "HEALTHY".equals(verdict.status())
                : verdict.shownWithin(stage.tolerancePercent());
    }

    private static String stopped(RolloutPlan plan, String phase) {
        return switch (phase) {
            case "ARCHIVED" -> "archived";
            case "DISABLED" -> "disabled: off for everyone";
            case "KILLED" -> "killed" + because(plan.killReason()) + ": retry it after a fix";
            case "ABORTED" -> "aborted" + because(plan.abortReason()) + ": retry it after a fix";
            case "PAUSED" -> "paused" + because(plan.pauseReason()) + ": resume it (with a reason) to go on";
            case "NO_PLAN" -> "no rollout plan: its share is set by hand";
            case "NOT_STARTED" -> "not on its plan yet: promote it to its first stage";
            case "COMPLETED" -> "completed: at its last stage";
            default -> phase.toLowerCase(Locale.ROOT);
        };
    }

    private static String promotionReason(
            RolloutPlan plan, RolloutPlan.Stage stage, RolloutPlan.Stage next, GuardReading verdict) {
        String confidence =
                verdict.confidence() == null ? "" : " with " + percent(100 * verdict.confidence()) + " % confidence";
        String claim = stage.tolerancePercent() == null
                ? "non-inferior to control on every guarded metric"
                : "no guarded metric more than " + stage.tolerancePercent() + " % worse than control";
        return "Automatic PROMOTE by Rollguard: stage '" + stage.name() + "' (" + percent(stage.percentage())
                + " %) is healthy: " + claim + confidence + " ("
                + verdict.treatedClients() + " treated / " + verdict.controlClients() + " control clients, "
                + stage.minClientsPerCohort() + " needed)"
                + (stage.minSoakSeconds() > 0 ? "; soak of " + duration(stage.minSoakSeconds()) + " over" : "")
                + "; no alert pending or firing. Next: '" + next.name() + "' (" + percent(next.percentage())
                + " %).";
    }

    private static String summary(GuardReading verdict) {
        return verdict.summary() == null || verdict.summary().isBlank() ? "" : ": " + verdict.summary();
    }

    private static String because(String reason) {
        return reason == null || reason.isBlank() ? "" : " (" + reason + ")";
    }

    static String percent(double value) {
        return BigDecimal.valueOf(value)
                .setScale(2, java.math.RoundingMode.HALF_UP)
                .stripTrailingZeros()
                .toPlainString();
    }

    /** A duration for people: "45 s", "12 min", "3 h 5 min", "2 d". */
    static String duration(long seconds) {
        if (seconds < 60) {
            return seconds + " s";
        }
        if (seconds < 3600) {
            long s = seconds % 60;
            return seconds / 60 + " min" + (s == 0 ? "" : " " + s + " s");
        }
        if (seconds < 86400) {
            long m = seconds % 3600 / 60;
            return seconds / 3600 + " h" + (m == 0 ? "" : " " + m + " min");
        }
        long h = seconds % 86400 / 3600;
        return seconds / 86400 + " d" + (h == 0 ? "" : " " + h + " h");
    }

    /** Fills in the figures every assessment carries. */
    private static final class Builder {
        private final RolloutPlan plan;
        private final RolloutPlan.Stage stage;
        private final RolloutPlan.Stage next;
        private final String phase;
        private final GuardReading verdict;
        private final long treated;
        private final long control;
        private final Long soakLeft;
        private final StageHistory history;
        private final Instant now;
        private Instant deadline;
        private boolean extended;

        Builder(
                RolloutPlan plan,
                RolloutPlan.Stage stage,
                RolloutPlan.Stage next,
                String phase,
                GuardReading verdict,
                long treated,
                long control,
                Long soakLeft,
                Instant deadline,
                StageHistory history,
                Instant now) {
            this.plan = plan;
            this.stage = stage;
            this.next = next;
            this.phase = phase;
            this.verdict = verdict;
            this.treated = treated;
            this.control = control;
            this.soakLeft = soakLeft;
            this.deadline = deadline;
            this.history = history;
            this.extended = history.extended();
            this.now = now;
        }

        Builder extended(Instant until) {
            this.deadline = until;
            this.extended = true;
            return this;
        }

        Assessment build(Decision decision, List<Wait> waits, List<String> reasons, Instant expected) {
            return new Assessment(
                    plan.key(),
                    phase,
                    stage == null ? null : stage.auto() ? "AUTO" : "MANUAL",
                    stage == null ? null : plan.currentStage(),
                    stage == null ? null : stage.name(),
                    stage == null ? null : stage.percentage(),
                    next == null ? null : plan.currentStage() + 1,
                    next == null ? null : next.name(),
                    next == null ? null : next.percentage(),
                    stage == null ? null : plan.stageVersion(),
                    stage == null ? null : plan.stageEnteredAt(),
                    decision,
                    waits,
                    reasons,
                    soakLeft,
                    stage == null ? 0 : stage.minClientsPerCohort(),
                    treated,
                    control,
                    verdict == null ? null : verdict.status(),
                    verdict == null ? null : verdict.confidence(),
                    verdict == null ? List.of() : verdict.metrics(),
                    deadline,
                    extended,
                    expected,
                    now);
        }
    }
}
