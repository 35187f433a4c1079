package dev.rollguard.rollback.mapping;

import dev.rollguard.rollback.domain.ActionState;
import dev.rollguard.rollback.domain.Assessment;
import dev.rollguard.rollback.domain.GuardReading;
import dev.rollguard.rollback.domain.RolloutPlan;
import dev.rollguard.rollback.domain.RolloutStep;
import dev.rollguard.schemas.event.MetricEvidence;
import dev.rollguard.schemas.event.RolloutAction;
import dev.rollguard.schemas.event.RolloutActionEvent;
import dev.rollguard.schemas.event.RolloutOutcome;
import java.time.Duration;
import java.time.Instant;

/** Promoter steps: from an assessment to a step, and from a step to its event. */
public final class RolloutMapper {

    private RolloutMapper() {}

    /**
     * The step an acting assessment asks for, not yet applied. Its id, the idempotency key, names the stage and the
     * action; a promotion also names the flag version it was decided on, so that after a refusal (the flag was paused
     * meanwhile, say) a later promotion of the same stage is a step of its own.
     */
    public static RolloutStep pending(RolloutPlan plan, Assessment a, boolean dryRun, Instant now) {
        RolloutAction action = RolloutAction.valueOf(a.decision().name());
        String id = plan.key() + ":" + plan.stageVersion() + ":" + action
                + (action == RolloutAction.PROMOTE ? ":" + plan.version() : "");
        Integer to =
                switch (action) {
                    case PROMOTE -> a.nextStage();
                    case REVERT -> a.stage() - 1;
                    case EXTEND, HOLD -> a.stage();
                };
        RolloutPlan.Stage target = to == null ? null : plan.stages().get(to);
        RolloutPlan.Stage stage = plan.stage();
        return new RolloutStep(
                id,
                ActionState.PENDING,
                plan.key(),
                action,
                RolloutOutcome.FAILED,
                String.join("; ", a.reasons()),
                a.stage(),
                a.stageName(),
                a.percentage(),
                to,
                target == null ? null : target.name(),
                target == null ? null : target.percentage(),
                plan.stageVersion(),
                plan.stageEnteredAt(),
                stage.minSoakSeconds(),
                plan.stageEnteredAt() == null
                        ? 0
                        : Math.max(
                                0, Duration.between(plan.stageEnteredAt(), now).toSeconds()),
                a.minClientsPerCohort(),
                a.treatedClients(),
                a.controlClients(),
                a.verdict(),
                a.confidence(),
                stage.tolerancePercent(),
                a.metrics(),
                dryRun,
                now,
                plan.version(),
                null,
                null,
                false,
                now);
    }

    public static RolloutActionEvent toEvent(RolloutStep s) {
        return RolloutActionEvent.newBuilder()
                .setActionId(s.id())
                .setFlagKey(s.flagKey())
                .setAction(s.action())
                .setOutcome(s.outcome())
                .setReason(s.reason())
                .setFromStage(s.fromStage())
                .setFromStageName(s.fromStageName())
                .setFromPercentage(s.fromPercentage())
                .setToStage(s.toStage())
                .setToStageName(s.toStageName())
                .setToPercentage(s.toPercentage())
                .setStageVersion(s.stageVersion())
                .setStageEnteredAt(s.stageEnteredAt())
                .setMinSoakSeconds(s.minSoakSeconds())
                .setSecondsInStage(s.secondsInStage())
                .setMinClientsPerCohort(s.minClientsPerCohort())
                .setTreatedClients(s.treatedClients())
                .setControlClients(s.controlClients())
                .setVerdict(s.verdict())
                .setConfidence(s.confidence())
                .setTolerancePercent(s.tolerancePercent())
                .setMetrics(s.metrics().stream().map(RolloutMapper::toEvidence).toList())
                .setDryRun(s.dryRun())
                .setDecidedAt(s.decidedAt())
                .setFlagVersionBefore(s.flagVersionBefore())
                .setFlagVersionAfter(s.flagVersionAfter())
                .setFlagChangedAt(s.flagChangedAt())
                .build();
    }

    private static MetricEvidence toEvidence(GuardReading.Metric m) {
        return MetricEvidence.newBuilder()
                .setMetric(m.metric())
                .setStatus(m.status() == null ? "NO_DATA" : m.status())
                .setTreated(m.treated())
                .setControl(m.control())
                .setRelativeEffect(m.relativeEffect())
                .setEffectLower(m.effectLower())
                .setShownWithin(m.shownWithin())
                .setEffectUpper(m.effectUpper())
                .setTreatedClients(m.treatedClients())
                .setControlClients(m.controlClients())
                .build();
    }
}
