package dev.rollguard.rollback.service;

import dev.rollguard.rollback.config.GuardConfig;
import dev.rollguard.rollback.config.GuardConfig.FlagEvidence;
import dev.rollguard.rollback.config.GuardConfig.ScopelessPolicy;
import dev.rollguard.rollback.domain.AlertStanding;
import dev.rollguard.rollback.domain.Decision;
import dev.rollguard.rollback.domain.FlagState;
import dev.rollguard.rollback.domain.GuardPolicy;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.AlertStatus;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.CohortComparison;
import dev.rollguard.schemas.event.GuardAction;
import dev.rollguard.schemas.event.RollbackOutcome;
import dev.rollguard.schemas.event.Severity;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;

/**
 * The guard's decision rules, free of I/O so that each rule is unit-tested: which alerts count, and what a critical
 * alert does to the flag it names given the flag's policy, state and the last action taken on it.
 */
@ApplicationScoped
public class GuardDecider {

    /** The comparator of alerts received from outside (alert-service {@code POST /api/alerts/inbound}). */
    static final String EXTERNAL = "EXTERNAL";

    /** The annotation naming the sender of an external alert. */
    static final String SOURCE_ANNOTATION = "rollguard_source";

    private final boolean globalDryRun;
    private final ScopelessPolicy scopelessPolicy;
    private final FlagEvidence flagEvidence;

    @Inject
    public GuardDecider(GuardConfig config) {
        this(config.dryRun(), config.scopeless(), config.flagEvidence());
    }

    public GuardDecider(boolean globalDryRun, ScopelessPolicy scopelessPolicy, FlagEvidence flagEvidence) {
        this.globalDryRun = globalDryRun;
        this.scopelessPolicy = scopelessPolicy;
        this.flagEvidence = flagEvidence;
    }

    /** Why the guard ignores this alert (a metrics tag), or empty when it is a firing critical alert to act on. */
    public Optional<String> ignoreReason(AlertEvent alert) {
        if (alert.getStatus() != AlertStatus.FIRING) {
            return Optional.of("not_firing");
        }
        if (alert.getSeverity() != Severity.CRITICAL) {
            return Optional.of("not_critical");
        }
        return Optional.empty();
    }

    /** Whether the alert names the flag at fault; only then may the guard change a flag. */
    public boolean namesFlag(AlertEvent alert) {
        return alert.getFlagKey() != null && !alert.getFlagKey().isBlank();
    }

    /**
     * The decision for an alert that names no flag: never a change, because nothing says which flag caused a
     * table-, platform- or environment-wide breach. Empty when the configured policy ignores such alerts.
     */
    public Optional<Decision> decideScopeless(AlertEvent alert) {
        if (scopelessPolicy == ScopelessPolicy.IGNORE) {
            return Optional.empty();
        }
        return Optional.of(new Decision(
                GuardAction.NOTIFY_ONLY,
                RollbackOutcome.NOTIFIED,
                false,
                "Alert names no flag (scope " + alert.getScopeKey() + "): notified only, no flag changed. "
                        + describe(alert)));
    }

    /**
     * The decision for an alert naming a flag.
     *
     * @param flag the flag as the flag-service has it now, null when it does not exist
     * @param lastAppliedAt when the guard last changed this flag, null when never
     * @param standing whether the alert still fires at the alert-service: an alert read late (this service down or
     *     behind, a flag switched off by hand and back on since, the alerts topic read from its start) may have
     *     resolved, and acting on it would undo what was done since
     */
    public Decision decide(
            AlertEvent alert, FlagState flag, Instant lastAppliedAt, AlertStanding standing, Instant now) {
        String evidence = describe(alert);
        if (alert.getCohort() == Cohort.CONTROL) {
            return new Decision(
                    GuardAction.NOTIFY_ONLY,
                    RollbackOutcome.NOTIFIED,
                    false,
                    "The control cohort of flag " + alert.getFlagKey()
                            + " degraded, not the treated one: the flag is not at fault, notified only. " + evidence);
        }
        if (flagEvidence == FlagEvidence.COMPARATIVE && !isComparative(alert) && !isExternal(alert)) {
            return new Decision(
                    GuardAction.NOTIFY_ONLY,
                    RollbackOutcome.NOTIFIED,
                    false,
                    "Threshold alert on flag " + alert.getFlagKey()
                            + " without a comparison against the control cohort: it cannot tell a bad change from an"
                            + " outage that hits every client, so the flag is left as it is and this is a notification"
                            + " (rollback-service.flag-evidence=COMPARATIVE). " + evidence);
        }
        if (isNoData(alert)) {
            return new Decision(
                    GuardAction.NOTIFY_ONLY,
                    RollbackOutcome.NOTIFIED,
                    false,
                    "Alert on flag " + alert.getFlagKey() + " fired for missing data (the rule's no-data policy):"
                            + " silence says nothing against the change, so the flag is left as it is and this is a"
                            + " notification. " + evidence);
        }
        if (flag == null) {
            return new Decision(
                    GuardAction.NOTIFY_ONLY,
                    RollbackOutcome.SKIPPED_NO_FLAG,
                    false,
                    "Flag " + alert.getFlagKey() + " does not exist in the flag-service. " + evidence);
        }
        GuardPolicy policy = flag.policy();
        GuardAction action = policy.action();
        boolean dryRun = policy.dryRun() || globalDryRun;
        if (action == GuardAction.NOTIFY_ONLY) {
            return new Decision(
                    action,
                    RollbackOutcome.NOTIFIED,
                    dryRun,
                    "Guard policy is NOTIFY_ONLY: flag left as it is. " + evidence);
        }
        if (flag.killed() || !flag.enabled()) {
            return new Decision(
                    action,
                    RollbackOutcome.SKIPPED_ALREADY_OFF,
                    dryRun,
                    "Flag is already " + (flag.killed() ? "killed" : "disabled")
                            + "; the guard never re-enables a flag. " + evidence);
        }
        Long judged = judgedStage(alert);
        if (action == GuardAction.REVERT_STAGE && judged != null && !inStage(flag, judged)) {
            // Stepping back from a stage the evidence never judged would move the flag twice for one regression (two
            // alerts of one stage) or undo an operator's or the promoter's move. Checked before the cooldown: the
            // judged stage never comes back, so looking at the alert again later would change nothing.
            return new Decision(
                    action,
                    RollbackOutcome.SKIPPED_STAGE_CHANGED,
                    dryRun,
                    stageChanged(judged, currentStage(flag)) + evidence);
        }
        if (lastAppliedAt != null
                && policy.cooldownSeconds() > 0
                && now.isBefore(lastAppliedAt.plusSeconds(policy.cooldownSeconds()))) {
            return new Decision(
                    action,
                    RollbackOutcome.SKIPPED_COOLDOWN,
                    dryRun,
                    "Cooldown: the guard changed this flag at " + lastAppliedAt + ", less than "
                            + policy.cooldownSeconds() + " s ago. " + evidence);
        }
        String why = "";
        if (action == GuardAction.REVERT_STAGE && (flag.currentStage() == null || flag.currentStage() <= 0)) {
            // Nothing smaller than the first stage exists but "off": a breach there still has to stop the exposure.
            action = GuardAction.KILL;
            why = "REVERT_STAGE found no earlier stage to return to, so the flag is killed instead. ";
        }
        if (action == GuardAction.PAUSE && flag.paused()) {
            return new Decision(
                    action, RollbackOutcome.SKIPPED_ALREADY_PAUSED, dryRun, "Flag is already paused. " + evidence);
        }
        if (standing == AlertStanding.ENDED) {
            return new Decision(
                    GuardAction.NOTIFY_ONLY,
                    RollbackOutcome.NOTIFIED,
                    dryRun,
                    "The alert (raised at " + alert.getEmittedAt() + ") no longer fires at the alert-service: it"
                            + " resolved before the guard read it, so the flag is left as it is and this is a"
                            + " notification. " + evidence);
        }
        if (dryRun) {
            return new Decision(
                    action,
                    RollbackOutcome.DRY_RUN,
                    true,
                    "Dry run (" + (policy.dryRun() ? "flag policy" : "global switch") + "): would " + action + ". "
                            + why + evidence);
        }
        return new Decision(
                action, RollbackOutcome.APPLIED, false, "Automatic " + action + " by Rollguard. " + why + evidence);
    }

    /**
     * The version of the flag that began the rollout stage the alert judged ({@code comparison.stageVersion}, from the
     * guard's comparison of a stage); null when the alert names none (a threshold rule, an older alert-service).
     */
    public static Long judgedStage(AlertEvent alert) {
        return alert.getComparison() == null ? null : alert.getComparison().getStageVersion();
    }

    /**
     * Whether the flag may still be in the stage the alert judged, whose evidence began at {@code judged}: the stage
     * it is in began at that version or before it, or the flag-service did not say when it began (then its own check
     * of the tied revert decides), or the flag is off its plan (a share set by hand: rule 8 kills it, as an untied
     * revert would). The evidence of a stage may begin after the stage did: metrics-ingest starts the stage's client
     * statistics again when its allow-list changes or the flag is switched off and on within it, which the flag-service
     * does not count as a new stage. A stage entered since always began at a later version than anything judged
     * before it.
     */
    private static boolean inStage(FlagState flag, long judged) {
        return flag.currentStage() == null || flag.stageVersion() == null || flag.stageVersion() <= judged;
    }

    private static String currentStage(FlagState flag) {
        return "it is in stage " + flag.currentStage() + ", which began at version " + flag.stageVersion();
    }

    /**
     * The reason of a revert not made because the flag left the stage the alert judged; {@code current} says where
     * the flag is now.
     */
    public static String stageChanged(long judgedStage, String current) {
        return "Not reverted: the alert judged the rollout stage that began at flag version " + judgedStage
                + ", and the flag is no longer in that stage (" + current + "). The guard judges the stage the flag is"
                + " in now on its own evidence. ";
    }

    /**
     * Whether the alert fired for missing data (its rule's no-data policy ALERT): no observed value and no comparison.
     * Silence is never a kill, whatever the rule compares.
     */
    static boolean isNoData(AlertEvent alert) {
        return alert.getObservedValue() == null && alert.getComparison() == null && !isExternal(alert);
    }

    /** Whether the alert compares the treated cohort with the control cohort. */
    static boolean isComparative(AlertEvent alert) {
        return alert.getComparison() != null || "WORSE_THAN_CONTROL".equals(alert.getComparator());
    }

    /**
     * Whether the alert came from a team's own monitoring through the alert-service's inbound endpoint: its sender
     * named the flag at fault on purpose (label {@code rollguard_flag}), so it blames the flag as a comparison does.
     */
    static boolean isExternal(AlertEvent alert) {
        return EXTERNAL.equals(alert.getComparator());
    }

    /** One line of evidence for humans: the audit log of the flag, the history, the rollbacks topic. */
    public static String describe(AlertEvent alert) {
        if (isExternal(alert)) {
            String summary = alert.getAnnotations().get("summary");
            String description = alert.getAnnotations().get("description");
            return "External alert '" + alert.getRuleName() + "' from "
                    + alert.getAnnotations().getOrDefault(SOURCE_ANNOTATION, "an unnamed sender") + " on flag "
                    + alert.getFlagKey() + (summary == null ? "" : ": " + summary)
                    + (description == null || description.equals(summary) ? "" : " (" + description + ")") + '.';
        }
        CohortComparison guard = alert.getComparison();
        if (guard != null && guard.getSummary() != null) {
            // The guard's verdict already tells every regressed metric with its evidence.
            return "Critical alert '" + alert.getRuleName() + "' on " + alert.getScopeKey() + ": " + guard.getSummary()
                    + '.';
        }
        StringBuilder text = new StringBuilder()
                .append("Critical alert '")
                .append(alert.getRuleName())
                .append("' on ")
                .append(alert.getScopeKey())
                .append(": ")
                .append(alert.getMetric())
                .append(' ')
                .append(alert.getObservedValue() == null ? "no data" : format(alert.getObservedValue()))
                .append(' ')
                .append(alert.getComparator())
                .append(' ')
                .append(format(alert.getThreshold()))
                .append(" (n=")
                .append(alert.getSampleSize())
                .append(')');
        CohortComparison comparison = alert.getComparison();
        if (comparison != null) {
            text.append("; treatment ")
                    .append(format(comparison.getTreatmentValue()))
                    .append(" (n=")
                    .append(comparison.getTreatmentSamples())
                    .append(") vs control ")
                    .append(format(comparison.getControlValue()))
                    .append(" (n=")
                    .append(comparison.getControlSamples())
                    .append(')');
            if (comparison.getPValue() != null) {
                text.append(", p=").append(format(comparison.getPValue()));
            }
        }
        return text.append('.').toString();
    }

    private static String format(double value) {
        return String.format(Locale.ROOT, "%.4g", value);
    }
}
