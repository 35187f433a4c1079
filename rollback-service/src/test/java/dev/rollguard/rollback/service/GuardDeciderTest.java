package dev.rollguard.rollback.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.rollback.config.GuardConfig.FlagEvidence;
import dev.rollguard.rollback.config.GuardConfig.ScopelessPolicy;
import dev.rollguard.rollback.domain.AlertStanding;
import dev.rollguard.rollback.domain.Decision;
import dev.rollguard.rollback.domain.FlagState;
import dev.rollguard.rollback.domain.GuardPolicy;
import dev.rollguard.rollback.testing.Alerts;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.AlertStatus;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.CohortComparison;
import dev.rollguard.schemas.event.GuardAction;
import dev.rollguard.schemas.event.RollbackOutcome;
import dev.rollguard.schemas.event.Severity;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GuardDeciderTest {

    private static final Instant NOW = Instant.parse("2026-11-22T06:00:00Z");

    private final GuardDecider decider = new GuardDecider(false, ScopelessPolicy.NOTIFY, FlagEvidence.COMPARATIVE);
    private final AlertEvent alert = Alerts.critical("checkout").build();

    private static FlagState flag(GuardAction action) {
        return flag(action, false, 300, 2);
    }

    private static FlagState flag(GuardAction action, boolean dryRun, long cooldownSeconds, Integer stage) {
        return new FlagState(
                "checkout", true, false, false, stage, new GuardPolicy(action, dryRun, cooldownSeconds), 7, NOW);
    }

    @Test
    void firingCriticalAlertsAreActedOnAndOthersIgnored() {
        assertThat(decider.ignoreReason(alert)).isEmpty();
        assertThat(decider.ignoreReason(AlertEvent.newBuilder(alert)
                        .setSeverity(Severity.WARNING)
                        .build()))
                .contains("not_critical");
        assertThat(decider.ignoreReason(AlertEvent.newBuilder(alert)
                        .setStatus(AlertStatus.RESOLVED)
                        .build()))
                .contains("not_firing");
    }

    @Test
    void killPolicyKillsWithTheEvidenceInTheReason() {
        Decision decision = decider.decide(alert, flag(GuardAction.KILL), null, AlertStanding.FIRING, NOW);

        assertThat(decision.action()).isEqualTo(GuardAction.KILL);
        assertThat(decision.outcome()).isEqualTo(RollbackOutcome.APPLIED);
        assertThat(decision.changesFlag()).isTrue();
        assertThat(decision.reason())
                .contains("Upload failures worse than control")
                .as("the guard's verdict in one line")
                .contains("upload failure rate 31 % vs 1.0 %, +3 000 %, 212 vs 1 788 clients");

        AlertEvent withoutSummary = AlertEvent.newBuilder(alert)
                .setComparison(CohortComparison.newBuilder(alert.getComparison())
                        .setSummary(null)
                        .build())
                .build();
        assertThat(decider.decide(withoutSummary, flag(GuardAction.KILL), null, AlertStanding.FIRING, NOW)
                        .reason())
                .contains("Upload failures worse than control", "uploadFailureRate", "0.3100", "0.02000")
                .contains("treatment 0.3100 (n=420) vs control 0.01000 (n=3900)");
    }

    @Test
    void anExternalAlertNamingTheFlagIsActedOnWithItsSenderInTheEvidence() {
        AlertEvent external = AlertEvent.newBuilder(alert)
                .setRuleId("external")
                .setRuleName("CheckoutErrors")
                .setMetric("external")
                .setComparator("EXTERNAL")
                .setThreshold(0)
                .setObservedValue(null)
                .setSampleSize(0)
                .setCohort(null)
                .setComparison(null)
                .setAnnotations(
                        Map.of("summary", "5xx ratio 12 % on checkout", "rollguard_source", "http://alertmanager:9093"))
                .build();

        Decision decision = decider.decide(external, flag(GuardAction.KILL), null, AlertStanding.FIRING, NOW);

        assertThat(decision.outcome())
                .as("the sender named the flag on purpose: no comparison is needed to blame it")
                .isEqualTo(RollbackOutcome.APPLIED);
        assertThat(decision.action()).isEqualTo(GuardAction.KILL);
        assertThat(decision.reason())
                .contains("External alert 'CheckoutErrors' from http://alertmanager:9093 on flag checkout")
                .contains("5xx ratio 12 % on checkout");
        assertThat(decider.decide(external, flag(GuardAction.KILL), NOW.minusSeconds(10), AlertStanding.FIRING, NOW)
                        .outcome())
                .as("the flag's cooldown holds for external alerts too")
                .isEqualTo(RollbackOutcome.SKIPPED_COOLDOWN);
        AlertEvent threshold =
                AlertEvent.newBuilder(external).setComparator("GT").build();
        assertThat(decider.decide(threshold, flag(GuardAction.KILL), null, AlertStanding.FIRING, NOW)
                        .outcome())
                .as("a threshold alert of Rollguard's own still does not blame a flag")
                .isEqualTo(RollbackOutcome.NOTIFIED);
    }

    @Test
    void revertAndPauseFollowThePolicy() {
        assertThat(decider.decide(alert, flag(GuardAction.REVERT_STAGE), null, AlertStanding.FIRING, NOW))
                .extracting(Decision::action, Decision::outcome)
                .containsExactly(GuardAction.REVERT_STAGE, RollbackOutcome.APPLIED);
        assertThat(decider.decide(alert, flag(GuardAction.PAUSE), null, AlertStanding.FIRING, NOW))
                .extracting(Decision::action, Decision::outcome)
                .containsExactly(GuardAction.PAUSE, RollbackOutcome.APPLIED);
    }

    /** A flag at {@code stage} of its plan since {@code stageVersion}, with a cooldown of 300 s. */
    private static FlagState inStage(GuardAction action, Integer stage, Long stageVersion) {
        return new FlagState(
                "checkout", true, false, false, stage, new GuardPolicy(action, false, 300), 9, NOW, stageVersion);
    }

    private AlertEvent judging(long stageVersion) {
        return AlertEvent.newBuilder(alert)
                .setComparison(CohortComparison.newBuilder(alert.getComparison())
                        .setStageVersion(stageVersion)
                        .build())
                .build();
    }

    @Test
    void revertOnAnAlertOfTheStageTheFlagIsInIsApplied() {
        assertThat(decider.decide(
                        judging(7), inStage(GuardAction.REVERT_STAGE, 2, 7L), null, AlertStanding.FIRING, NOW))
                .extracting(Decision::action, Decision::outcome)
                .containsExactly(GuardAction.REVERT_STAGE, RollbackOutcome.APPLIED);
        assertThat(decider.decide(
                                judging(7), inStage(GuardAction.REVERT_STAGE, 2, null), null, AlertStanding.FIRING, NOW)
                        .outcome())
                .as("the flag-service did not say when the stage began: the tied revert lets it decide")
                .isEqualTo(RollbackOutcome.APPLIED);
        assertThat(decider.decide(alert, inStage(GuardAction.REVERT_STAGE, 2, 8L), null, AlertStanding.FIRING, NOW)
                        .outcome())
                .as("an alert that names no stage reverts as before")
                .isEqualTo(RollbackOutcome.APPLIED);
        assertThat(decider.decide(
                                judging(11), inStage(GuardAction.REVERT_STAGE, 2, 10L), null, AlertStanding.FIRING, NOW)
                        .outcome())
                .as("the stage's evidence began after the stage (an allow-list edit within it): still that stage")
                .isEqualTo(RollbackOutcome.APPLIED);
    }

    @Test
    void revertOnAFlagOffItsPlanKillsAsAnUntiedRevertDid() {
        Decision decision = decider.decide(
                judging(7), inStage(GuardAction.REVERT_STAGE, null, 8L), null, AlertStanding.FIRING, NOW);

        assertThat(decision.action()).isEqualTo(GuardAction.KILL);
        assertThat(decision.outcome()).isEqualTo(RollbackOutcome.APPLIED);
    }

    @Test
    void revertOnAnAlertOfAStageTheFlagHasLeftIsSkippedNamingBothStages() {
        Decision decision =
                decider.decide(judging(7), inStage(GuardAction.REVERT_STAGE, 1, 8L), null, AlertStanding.FIRING, NOW);

        assertThat(decision.outcome()).isEqualTo(RollbackOutcome.SKIPPED_STAGE_CHANGED);
        assertThat(decision.action()).isEqualTo(GuardAction.REVERT_STAGE);
        assertThat(decision.changesFlag()).isFalse();
        assertThat(decision.reason())
                .startsWith("Not reverted: the alert judged the rollout stage that began at flag version 7")
                .contains("it is in stage 1, which began at version 8")
                .contains("The guard judges the stage the flag is in now on its own evidence.")
                .contains("Upload failures worse than control");
        assertThat(decider.decide(judging(7), inStage(GuardAction.REVERT_STAGE, 0, 8L), null, AlertStanding.FIRING, NOW)
                        .outcome())
                .as("not turned into a kill at the first stage: the evidence judged another stage")
                .isEqualTo(RollbackOutcome.SKIPPED_STAGE_CHANGED);
        assertThat(decider.decide(
                                judging(7),
                                inStage(GuardAction.REVERT_STAGE, 1, 8L),
                                NOW.minusSeconds(10),
                                AlertStanding.FIRING,
                                NOW)
                        .outcome())
                .as("skipped for good rather than looked at again after the cooldown")
                .isEqualTo(RollbackOutcome.SKIPPED_STAGE_CHANGED);
    }

    @Test
    void killAndPauseAreNotTiedToTheStageJudged() {
        assertThat(decider.decide(judging(7), inStage(GuardAction.KILL, 1, 8L), null, AlertStanding.FIRING, NOW))
                .extracting(Decision::action, Decision::outcome)
                .containsExactly(GuardAction.KILL, RollbackOutcome.APPLIED);
        assertThat(decider.decide(judging(7), inStage(GuardAction.PAUSE, 1, 8L), null, AlertStanding.FIRING, NOW))
                .extracting(Decision::action, Decision::outcome)
                .containsExactly(GuardAction.PAUSE, RollbackOutcome.APPLIED);
    }

    @Test
    void revertAtTheFirstStageOrWithoutStagesKills() {
        for (Integer stage : new Integer[] {0, null}) {
            Decision decision = decider.decide(
                    alert, flag(GuardAction.REVERT_STAGE, false, 0, stage), null, AlertStanding.FIRING, NOW);
            assertThat(decision.action()).isEqualTo(GuardAction.KILL);
            assertThat(decision.outcome()).isEqualTo(RollbackOutcome.APPLIED);
            assertThat(decision.reason()).contains("no earlier stage");
        }
    }

    @Test
    void pauseOfAPausedFlagChangesNothing() {
        FlagState paused =
                new FlagState("checkout", true, false, true, 2, new GuardPolicy(GuardAction.PAUSE, false, 0), 7, NOW);
        assertThat(decider.decide(alert, paused, null, AlertStanding.FIRING, NOW)
                        .outcome())
                .isEqualTo(RollbackOutcome.SKIPPED_ALREADY_PAUSED);
    }

    @Test
    void notifyOnlyPolicyNeverChangesTheFlag() {
        Decision decision = decider.decide(alert, flag(GuardAction.NOTIFY_ONLY), null, AlertStanding.FIRING, NOW);
        assertThat(decision.outcome()).isEqualTo(RollbackOutcome.NOTIFIED);
        assertThat(decision.changesFlag()).isFalse();
    }

    @Test
    void flagDryRunDecidesWithoutChanging() {
        Decision decision = decider.decide(alert, flag(GuardAction.KILL, true, 0, 2), null, AlertStanding.FIRING, NOW);
        assertThat(decision.outcome()).isEqualTo(RollbackOutcome.DRY_RUN);
        assertThat(decision.dryRun()).isTrue();
        assertThat(decision.changesFlag()).isFalse();
        assertThat(decision.reason()).contains("would KILL", "flag policy");
    }

    @Test
    void globalDryRunOverridesEveryFlag() {
        GuardDecider dryRunEverywhere = new GuardDecider(true, ScopelessPolicy.NOTIFY, FlagEvidence.COMPARATIVE);
        Decision decision =
                dryRunEverywhere.decide(alert, flag(GuardAction.REVERT_STAGE), null, AlertStanding.FIRING, NOW);
        assertThat(decision.outcome()).isEqualTo(RollbackOutcome.DRY_RUN);
        assertThat(decision.action()).isEqualTo(GuardAction.REVERT_STAGE);
        assertThat(decision.reason()).contains("global switch");
    }

    @Test
    void alreadyKilledOrDisabledFlagIsLeftOff() {
        FlagState killed =
                new FlagState("checkout", true, true, false, 2, new GuardPolicy(GuardAction.KILL, false, 0), 7, NOW);
        FlagState disabled = new FlagState(
                "checkout", false, false, false, 2, new GuardPolicy(GuardAction.REVERT_STAGE, false, 0), 7, NOW);
        assertThat(decider.decide(alert, killed, null, AlertStanding.FIRING, NOW)
                        .outcome())
                .isEqualTo(RollbackOutcome.SKIPPED_ALREADY_OFF);
        assertThat(decider.decide(alert, disabled, null, AlertStanding.FIRING, NOW)
                        .outcome())
                .isEqualTo(RollbackOutcome.SKIPPED_ALREADY_OFF);
        assertThat(decider.decide(alert, killed, null, AlertStanding.FIRING, NOW)
                        .reason())
                .contains("never re-enables");
    }

    @Test
    void cooldownHoldsBackASecondChangeUntilItEnds() {
        FlagState flag = flag(GuardAction.REVERT_STAGE, false, 300, 2);
        assertThat(decider.decide(alert, flag, NOW.minusSeconds(299), AlertStanding.FIRING, NOW)
                        .outcome())
                .isEqualTo(RollbackOutcome.SKIPPED_COOLDOWN);
        assertThat(decider.decide(alert, flag, NOW.minusSeconds(300), AlertStanding.FIRING, NOW)
                        .outcome())
                .isEqualTo(RollbackOutcome.APPLIED);
        assertThat(decider.decide(
                                alert,
                                flag(GuardAction.REVERT_STAGE, false, 0, 2),
                                NOW.minusSeconds(1),
                                AlertStanding.FIRING,
                                NOW)
                        .outcome())
                .isEqualTo(RollbackOutcome.APPLIED);
    }

    @Test
    void thresholdAlertWithoutAComparisonOnlyNotifiesUnlessAnyEvidenceIsAllowed() {
        // e.g. an outage: the treated cohort breaches an absolute threshold, and so does the control cohort
        AlertEvent threshold = Alerts.critical("checkout")
                .setComparator("GT")
                .setComparison(null)
                .build();

        Decision comparativeOnly = decider.decide(threshold, flag(GuardAction.KILL), null, AlertStanding.FIRING, NOW);
        assertThat(comparativeOnly.outcome()).isEqualTo(RollbackOutcome.NOTIFIED);
        assertThat(comparativeOnly.changesFlag()).isFalse();
        assertThat(comparativeOnly.reason()).contains("without a comparison against the control cohort");

        GuardDecider anyEvidence = new GuardDecider(false, ScopelessPolicy.NOTIFY, FlagEvidence.ANY);
        assertThat(anyEvidence
                        .decide(threshold, flag(GuardAction.KILL), null, AlertStanding.FIRING, NOW)
                        .outcome())
                .isEqualTo(RollbackOutcome.APPLIED);
    }

    @Test
    void anAlertForMissingDataNeverChangesTheFlag() {
        // A comparative rule with the no-data policy ALERT fires when a cohort falls silent: no value, no comparison.
        AlertEvent silent = Alerts.critical("checkout")
                .setObservedValue(null)
                .setComparison(null)
                .build();
        for (GuardDecider anyDecider :
                new GuardDecider[] {decider, new GuardDecider(false, ScopelessPolicy.NOTIFY, FlagEvidence.ANY)}) {
            Decision decision = anyDecider.decide(silent, flag(GuardAction.KILL), null, AlertStanding.FIRING, NOW);
            assertThat(decision.outcome()).isEqualTo(RollbackOutcome.NOTIFIED);
            assertThat(decision.changesFlag()).isFalse();
            assertThat(decision.reason()).contains("missing data");
        }
        // A threshold alert without data is one too, when any evidence may change a flag.
        AlertEvent silentThreshold = Alerts.critical("checkout")
                .setComparator("GT")
                .setObservedValue(null)
                .setComparison(null)
                .build();
        assertThat(new GuardDecider(false, ScopelessPolicy.NOTIFY, FlagEvidence.ANY)
                        .decide(silentThreshold, flag(GuardAction.KILL), null, AlertStanding.FIRING, NOW)
                        .changesFlag())
                .isFalse();
        // A comparison without an observed value of the rule's own is still evidence.
        AlertEvent comparedOnly =
                AlertEvent.newBuilder(alert).setObservedValue(null).build();
        assertThat(decider.decide(comparedOnly, flag(GuardAction.KILL), null, AlertStanding.FIRING, NOW)
                        .outcome())
                .isEqualTo(RollbackOutcome.APPLIED);
    }

    @Test
    void anAlertThatResolvedBeforeItWasReadLeavesTheFlagAsItIs() {
        // Read late: a person switched the flag off and on again, or the topic was read from its start.
        Decision decision = decider.decide(alert, flag(GuardAction.KILL), null, AlertStanding.ENDED, NOW);
        assertThat(decision.action()).isEqualTo(GuardAction.NOTIFY_ONLY);
        assertThat(decision.outcome()).isEqualTo(RollbackOutcome.NOTIFIED);
        assertThat(decision.changesFlag()).isFalse();
        assertThat(decision.reason()).contains("no longer fires at the alert-service");

        // Still firing, or the alert-service could not say: acted on.
        assertThat(decider.decide(alert, flag(GuardAction.KILL), null, AlertStanding.FIRING, NOW)
                        .outcome())
                .isEqualTo(RollbackOutcome.APPLIED);
        assertThat(decider.decide(alert, flag(GuardAction.KILL), null, AlertStanding.UNKNOWN, NOW)
                        .outcome())
                .isEqualTo(RollbackOutcome.APPLIED);
        // A flag already off says so first.
        FlagState killed =
                new FlagState("checkout", true, true, false, 2, new GuardPolicy(GuardAction.KILL, false, 0), 9, NOW);
        assertThat(decider.decide(alert, killed, null, AlertStanding.ENDED, NOW).outcome())
                .isEqualTo(RollbackOutcome.SKIPPED_ALREADY_OFF);
    }

    @Test
    void missingFlagIsRecordedNotGuessed() {
        Decision decision = decider.decide(alert, null, null, AlertStanding.FIRING, NOW);
        assertThat(decision.outcome()).isEqualTo(RollbackOutcome.SKIPPED_NO_FLAG);
        assertThat(decision.changesFlag()).isFalse();
    }

    @Test
    void controlCohortBreachIsNotTheFlagsFault() {
        AlertEvent control =
                AlertEvent.newBuilder(alert).setCohort(Cohort.CONTROL).build();
        Decision decision = decider.decide(control, flag(GuardAction.KILL), null, AlertStanding.FIRING, NOW);
        assertThat(decision.outcome()).isEqualTo(RollbackOutcome.NOTIFIED);
        assertThat(decision.changesFlag()).isFalse();
    }

    @Test
    void scopelessAlertsNotifyByDefaultAndNeverChangeAFlag() {
        AlertEvent scopeless = Alerts.scopeless("entries").build();
        assertThat(decider.namesFlag(scopeless)).isFalse();
        assertThat(decider.decideScopeless(scopeless)).hasValueSatisfying(d -> assertThat(d)
                .extracting(Decision::action, Decision::outcome, Decision::changesFlag)
                .containsExactly(GuardAction.NOTIFY_ONLY, RollbackOutcome.NOTIFIED, false));
        assertThat(new GuardDecider(false, ScopelessPolicy.IGNORE, FlagEvidence.COMPARATIVE).decideScopeless(scopeless))
                .isEmpty();
    }
}
