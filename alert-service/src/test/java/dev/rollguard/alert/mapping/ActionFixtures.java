package dev.rollguard.alert.mapping;

import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.CohortComparison;
import dev.rollguard.schemas.event.GuardAction;
import dev.rollguard.schemas.event.MetricEvidence;
import dev.rollguard.schemas.event.RollbackActionEvent;
import dev.rollguard.schemas.event.RollbackOutcome;
import dev.rollguard.schemas.event.RolloutAction;
import dev.rollguard.schemas.event.RolloutActionEvent;
import dev.rollguard.schemas.event.RolloutOutcome;
import dev.rollguard.schemas.event.ScopeType;
import java.time.Instant;
import java.util.List;

/** Automatic actions as the rollback-service and the promoter publish them. */
public final class ActionFixtures {

    private ActionFixtures() {}

    /** The guard's kill of a flag whose treated cohort fails three times as often as control. */
    public static RollbackActionEvent kill(String actionId, String flagKey) {
        Instant fired = Instant.parse("2026-03-02T09:15:05Z");
        return RollbackActionEvent.newBuilder()
                .setActionId(actionId)
                .setFlagKey(flagKey)
                .setAction(GuardAction.KILL)
                .setOutcome(RollbackOutcome.APPLIED)
                .setReason("guard: failure rate 3.11 % vs 1.0 % on " + flagKey)
                .setDryRun(false)
                .setAlertId("alert-" + actionId)
                .setAlertFingerprint("0123456789abcdef0123456789abcdef")
                .setRuleId("guard")
                .setRuleName("Guard")
                .setMetric("failure")
                .setComparator("GUARD")
                .setObservedValue(0.0211)
                .setThreshold(0.2)
                .setSampleSize(48_000)
                .setScopeType(ScopeType.FLAG_COHORT)
                .setScopeKey("flag:" + flagKey + ":TREATMENT")
                .setCohort(Cohort.TREATMENT)
                .setComparison(CohortComparison.newBuilder()
                        .setTreatmentValue(0.0311)
                        .setControlValue(0.01)
                        .setTreatmentSamples(4_800)
                        .setControlSamples(43_200)
                        .setMethod("normal-mixture-confidence-sequence")
                        .setTreatmentClients(212L)
                        .setControlClients(1_788L)
                        .setRelativeEffect(2.11)
                        .setEffectLower(1.5)
                        .setEffectUpper(2.79)
                        .setConfidence(0.999)
                        .setEvidence(2.2)
                        .setSummary("failure rate 3.11 % vs 1.0 %, +211 %, 99.9 % interval [+150 %, +279 %], 212 vs"
                                + " 1 788 clients, evidence 15.3 of threshold")
                        .build())
                .setFlagVersionBefore(7L)
                .setFlagVersionAfter(8L)
                .setAlertFiredAt(fired)
                .setAlertReceivedAt(fired.plusMillis(40))
                .setFlagChangedAt(fired.plusMillis(95))
                .build();
    }

    /** The promoter's step from the 5 % stage to the 25 % stage of a healthy rollout. */
    public static RolloutActionEvent promote(String actionId, String flagKey) {
        return RolloutActionEvent.newBuilder()
                .setActionId(actionId)
                .setFlagKey(flagKey)
                .setAction(RolloutAction.PROMOTE)
                .setOutcome(RolloutOutcome.APPLIED)
                .setReason("stage canary healthy after 900 s: promoted to 25 %")
                .setFromStage(0)
                .setFromStageName("canary")
                .setFromPercentage(5.0)
                .setToStage(1)
                .setToStageName("quarter")
                .setToPercentage(25.0)
                .setStageVersion(12)
                .setStageEnteredAt(Instant.parse("2026-03-02T09:00:00Z"))
                .setMinSoakSeconds(600)
                .setSecondsInStage(900)
                .setMinClientsPerCohort(100)
                .setTreatedClients(240)
                .setControlClients(4_310)
                .setVerdict("HEALTHY")
                .setConfidence(0.99)
                .setMetrics(List.of(
                        MetricEvidence.newBuilder()
                                .setMetric("failure")
                                .setStatus("NON_INFERIOR")
                                .setTreated(0.0101)
                                .setControl(0.0098)
                                .setRelativeEffect(0.03)
                                .setEffectLower(-0.12)
                                .setEffectUpper(0.18)
                                .setTreatedClients(240)
                                .setControlClients(4_310)
                                .build(),
                        MetricEvidence.newBuilder()
                                .setMetric("sync-duration")
                                .setStatus("INCONCLUSIVE")
                                .setTreated(812.0)
                                .setControl(790.0)
                                .setRelativeEffect(0.028)
                                .setEffectLower(-0.05)
                                .setEffectUpper(0.31)
                                .setTreatedClients(240)
                                .setControlClients(4_310)
                                .build()))
                .setDryRun(false)
                .setDecidedAt(Instant.parse("2026-03-02T09:15:00Z"))
                .setFlagVersionBefore(12L)
                .setFlagVersionAfter(13L)
                .setFlagChangedAt(Instant.parse("2026-03-02T09:15:00.120Z"))
                .build();
    }
}
