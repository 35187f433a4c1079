package dev.rollguard.rollback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rollguard.infra.InfraTestResource;
import dev.rollguard.rollback.testing.Alerts;
import dev.rollguard.rollback.testing.Api;
import dev.rollguard.rollback.testing.FakeFlagService;
import dev.rollguard.rollback.testing.FakeFlagService.Call;
import dev.rollguard.rollback.testing.FakeFlagServiceResource;
import dev.rollguard.rollback.testing.InjectFakeFlagService;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.AlertStatus;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.GuardAction;
import dev.rollguard.schemas.event.RollbackActionEvent;
import dev.rollguard.schemas.event.RollbackOutcome;
import dev.rollguard.schemas.event.Severity;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.smallrye.reactive.messaging.kafka.companion.ConsumerTask;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Critical alerts from the real broker, the guard policy of each flag applied through the (fake) flag-service. */
@QuarkusTest
@QuarkusTestResource(
        value = InfraTestResource.class,
        initArgs = @ResourceArg(name = InfraTestResource.DATABASE, value = "rollguard_rollbacks"))
@QuarkusTestResource(FakeFlagServiceResource.class)
class GuardFlowTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @InjectFakeFlagService
    FakeFlagService flagService;

    private ConsumerTask<String, RollbackActionEvent> rollbacks;

    @BeforeEach
    void readRollbacks() {
        rollbacks = Alerts.rollbacks();
    }

    @AfterEach
    void stopReading() {
        rollbacks.close();
    }

    private static String flagKey() {
        return "flag-" + UUID.randomUUID();
    }

    private RollbackActionEvent awaitEvent(String actionId) {
        await().atMost(TIMEOUT)
                .until(() -> !Alerts.eventsOf(rollbacks, actionId).isEmpty());
        return Alerts.eventsOf(rollbacks, actionId).get(0);
    }

    @Test
    void killsTheFlagAtFaultAndRecordsTheEvidenceAndTimings() {
        String flag = flagKey();
        flagService.define(flag, "KILL");
        AlertEvent alert = Alerts.critical(flag).build();
        String id = Alerts.actionId(alert);

        Alerts.send(alert);

        RollbackActionEvent event = awaitEvent(id);
        assertThat(flagService.isKilled(flag)).isTrue();
        assertThat(Api.metric("rollguard_rollback_actions_total", "flag=\"" + flag + "\"", "action=\"KILL\""))
                .as("the action counted under its flag, for dashboards")
                .isEqualTo(1.0);
        assertThat(event.getFlagKey()).isEqualTo(flag);
        assertThat(event.getAction()).isEqualTo(GuardAction.KILL);
        assertThat(event.getOutcome()).isEqualTo(RollbackOutcome.APPLIED);
        assertThat(event.getRuleId()).isEqualTo("upload-failure-vs-control");
        assertThat(event.getObservedValue()).isEqualTo(0.31);
        assertThat(event.getThreshold()).isEqualTo(0.02);
        assertThat(event.getCohort()).isEqualTo(Cohort.TREATMENT);
        assertThat(event.getComparison().getTreatmentSamples()).isEqualTo(420);
        assertThat(event.getComparison().getControlSamples()).isEqualTo(3900);
        assertThat(event.getComparison().getTreatmentClients()).isEqualTo(212L);
        assertThat(event.getComparison().getControlClients()).isEqualTo(1_788L);
        assertThat(event.getComparison().getEffectLower()).isEqualTo(12.5);
        assertThat(event.getComparison().getEvidence()).isEqualTo(15.3);
        assertThat(event.getComparison().getSummary()).contains("212 vs 1 788 clients");
        assertThat(event.getFlagVersionBefore()).isEqualTo(1L);
        assertThat(event.getFlagVersionAfter()).isEqualTo(2L);
        // first breach -> window closed -> alert fired -> received -> flag changed -> visible on OFREP, in order
        assertThat(event.getFirstBreachAt()).isEqualTo(alert.getFirstBreachEventTime());
        assertThat(event.getWindowClosedAt()).isEqualTo(alert.getWindowClosedAt());
        assertThat(event.getAlertFiredAt()).isEqualTo(alert.getEmittedAt());
        assertThat(event.getAlertReceivedAt()).isAfterOrEqualTo(event.getAlertFiredAt());
        assertThat(event.getFlagChangedAt()).isAfterOrEqualTo(event.getAlertReceivedAt());
        assertThat(event.getVisibleAt()).isAfter(event.getFlagChangedAt());

        List<Call> writes = flagService.writes(flag);
        assertThat(writes).singleElement().satisfies(call -> {
            assertThat(call.path()).isEqualTo("/api/flags/" + flag + "/kill");
            assertThat(call.idempotencyKey())
                    .isEqualTo(
                            alert.getFingerprint() + ":" + alert.getStartsAt().toEpochMilli());
            assertThat(call.body()).contains("Upload failures worse than control");
        });
        assertThat(flagService.audit(flag)).singleElement().satisfies(entry -> assertThat(entry.idempotencyKey())
                .isEqualTo(id));

        JsonPath stored = Api.rollback(id);
        assertThat(stored.getString("state")).isEqualTo("DONE");
        assertThat(stored.getString("outcome")).isEqualTo("APPLIED");
        assertThat(stored.getBoolean("published")).isTrue();
        assertThat(stored.getString("ruleName")).isEqualTo("Upload failures worse than control");
        assertThat(stored.getLong("comparison.treatmentSamples")).isEqualTo(420);
        assertThat(stored.getLong("comparison.controlClients")).isEqualTo(1_788L);
        assertThat(stored.getDouble("comparison.confidence")).isEqualTo(0.999);
        assertThat(stored.getString("comparison.summary")).contains("+3 000 %");
        assertThat(stored.getDouble("observedValue")).isEqualTo(0.31);
        assertThat(stored.getDouble("threshold")).isEqualTo(0.02);
        assertThat(Instant.parse(stored.getString("flagChangedAt"))).isEqualTo(event.getFlagChangedAt());
        assertThat(Instant.parse(stored.getString("visibleAt"))).isEqualTo(event.getVisibleAt());
        assertThat(stored.getLong("latenciesMs.breachToVisible")).isPositive();
        assertThat(stored.getLong("latenciesMs.flagChangedToVisible")).isNotNull();
        assertThat(Api.metric("rollguard_rollback_flip_seconds_count", "action=\"KILL\""))
                .isGreaterThanOrEqualTo(1);
        assertThat(Api.metric("rollguard_rollback_visibility_seconds_count")).isGreaterThanOrEqualTo(1);
    }

    @Test
    void revertStagePolicyStepsTheRolloutBack() {
        String flag = flagKey();
        flagService.define(flag, "REVERT_STAGE");
        AlertEvent alert = Alerts.critical(flag).build();

        Alerts.send(alert);

        RollbackActionEvent event = awaitEvent(Alerts.actionId(alert));
        assertThat(event.getAction()).isEqualTo(GuardAction.REVERT_STAGE);
        assertThat(event.getOutcome()).isEqualTo(RollbackOutcome.APPLIED);
        assertThat(flagService.currentStage(flag)).isEqualTo(1);
        assertThat(flagService.isKilled(flag)).isFalse();
        assertThat(flagService.writes(flag)).singleElement().satisfies(call -> assertThat(call.body())
                .contains("\"action\":\"revert\""));
    }

    @Test
    void pausePolicyHoldsTheRollout() {
        String flag = flagKey();
        flagService.define(flag, "PAUSE");
        AlertEvent alert = Alerts.critical(flag).build();

        Alerts.send(alert);

        assertThat(awaitEvent(Alerts.actionId(alert)).getOutcome()).isEqualTo(RollbackOutcome.APPLIED);
        assertThat(flagService.isPaused(flag)).isTrue();
        assertThat(flagService.writes(flag))
                .singleElement()
                .extracting(Call::path)
                .isEqualTo("/api/flags/" + flag + "/pause");
    }

    @Test
    void dryRunRecordsTheDecisionWithoutChangingTheFlag() {
        String flag = flagKey();
        flagService.define(flag, "KILL", true, 0, 4, 2);
        AlertEvent alert = Alerts.critical(flag).build();

        Alerts.send(alert);

        RollbackActionEvent event = awaitEvent(Alerts.actionId(alert));
        assertThat(event.getOutcome()).isEqualTo(RollbackOutcome.DRY_RUN);
        assertThat(event.getDryRun()).isTrue();
        assertThat(event.getReason()).contains("would KILL");
        assertThat(flagService.writes(flag)).isEmpty();
        assertThat(flagService.isKilled(flag)).isFalse();
    }

    @Test
    void notifyOnlyPolicyLeavesTheFlagAlone() {
        String flag = flagKey();
        flagService.define(flag, "NOTIFY_ONLY");
        AlertEvent alert = Alerts.critical(flag).build();

        Alerts.send(alert);

        assertThat(awaitEvent(Alerts.actionId(alert)).getOutcome()).isEqualTo(RollbackOutcome.NOTIFIED);
        assertThat(flagService.writes(flag)).isEmpty();
    }

    @Test
    void alreadyKilledFlagIsLeftOffWithoutACall() {
        String flag = flagKey();
        flagService.defineKilled(flag, "KILL");
        AlertEvent alert = Alerts.critical(flag).build();

        Alerts.send(alert);

        assertThat(awaitEvent(Alerts.actionId(alert)).getOutcome()).isEqualTo(RollbackOutcome.SKIPPED_ALREADY_OFF);
        assertThat(flagService.writes(flag)).isEmpty();
    }

    @Test
    void anAlertThatResolvedBeforeItWasReadLeavesTheFlagAsItIs() {
        String flag = flagKey();
        flagService.define(flag, "KILL");
        // Raised, then resolved at the alert-service (the flag switched off by hand and on again) before it is read.
        AlertEvent alert = Alerts.critical(flag).build();
        flagService.endAlert(alert.getFingerprint());

        Alerts.send(alert);

        RollbackActionEvent action = awaitEvent(Alerts.actionId(alert));
        assertThat(action.getOutcome()).isEqualTo(RollbackOutcome.NOTIFIED);
        assertThat(action.getAction()).isEqualTo(GuardAction.NOTIFY_ONLY);
        assertThat(action.getReason()).contains("no longer fires at the alert-service");
        assertThat(flagService.writes(flag)).isEmpty();
        assertThat(flagService.isKilled(flag)).isFalse();
    }

    @Test
    void anAlertWhoseStandingTheAlertServiceCannotTellIsActedOn() {
        String failing = flagKey();
        flagService.define(failing, "KILL");
        AlertEvent duringAFailure = Alerts.critical(failing).build();
        flagService.failAlerts(500);
        try {
            Alerts.send(duringAFailure);

            assertThat(awaitEvent(Alerts.actionId(duringAFailure)).getOutcome()).isEqualTo(RollbackOutcome.APPLIED);
            assertThat(flagService.isKilled(failing)).isTrue();
        } finally {
            flagService.failAlerts(0);
        }
        // An alert another producer put on the topic: the alert-service never had it.
        String elsewhere = flagKey();
        flagService.define(elsewhere, "KILL");
        AlertEvent unknown = Alerts.critical(elsewhere).build();
        flagService.alertUnknown(unknown.getFingerprint());

        Alerts.send(unknown);

        assertThat(awaitEvent(Alerts.actionId(unknown)).getOutcome()).isEqualTo(RollbackOutcome.APPLIED);
        assertThat(flagService.isKilled(elsewhere)).isTrue();
    }

    @Test
    void cooldownStopsASecondRevertOfTheSameFlag() {
        String flag = flagKey();
        flagService.define(flag, "REVERT_STAGE", false, 600, 4, 3);
        AlertEvent first = Alerts.critical(flag).build();
        // the same condition firing again a little later: a new firing, a new idempotency key
        AlertEvent again = Alerts.critical(flag)
                .setFingerprint(first.getFingerprint())
                .setStartsAt(first.getStartsAt().plusSeconds(30))
                .build();

        Alerts.send(first, again);

        assertThat(awaitEvent(Alerts.actionId(first)).getOutcome()).isEqualTo(RollbackOutcome.APPLIED);
        RollbackActionEvent second = awaitEvent(Alerts.actionId(again));
        assertThat(second.getOutcome()).isEqualTo(RollbackOutcome.SKIPPED_COOLDOWN);
        assertThat(flagService.currentStage(flag)).isEqualTo(2);
        assertThat(flagService.writes(flag)).hasSize(1);
    }

    @Test
    void anAlertSkippedForTheCooldownIsActedOnWhenItEndsIfItStillFires() {
        String flag = flagKey();
        flagService.define(flag, "REVERT_STAGE", false, 2, 4, 3);
        AlertEvent first = Alerts.critical(flag).build();
        // another rule's alert on the stage the revert led to, while the cooldown holds
        AlertEvent next = Alerts.critical(flag).build();

        Alerts.send(first, next);

        assertThat(awaitEvent(Alerts.actionId(first)).getOutcome()).isEqualTo(RollbackOutcome.APPLIED);
        assertThat(awaitEvent(Alerts.actionId(next)).getOutcome()).isEqualTo(RollbackOutcome.SKIPPED_COOLDOWN);
        assertThat(flagService.currentStage(flag)).isEqualTo(2);

        RollbackActionEvent later = awaitEvent(Alerts.actionId(next) + ":after-cooldown");
        assertThat(later.getOutcome()).isEqualTo(RollbackOutcome.APPLIED);
        assertThat(later.getAction()).isEqualTo(GuardAction.REVERT_STAGE);
        assertThat(later.getReason()).startsWith("Looked at again when the cooldown ended");
        assertThat(later.getFlagChangedAt())
                .as("not before the cooldown of the first change ended")
                .isAfterOrEqualTo(
                        awaitEvent(Alerts.actionId(first)).getFlagChangedAt().plusSeconds(2));
        assertThat(flagService.currentStage(flag)).isEqualTo(1);
        // Looked at once: the next rounds find nothing due.
        await().during(Duration.ofSeconds(1))
                .atMost(Duration.ofSeconds(3))
                .until(() -> flagService.writes(flag).size() == 2);
    }

    @Test
    void anAlertSkippedForTheCooldownThatResolvedMeanwhileIsOnlyANotification() {
        String flag = flagKey();
        flagService.define(flag, "REVERT_STAGE", false, 2, 4, 3);
        AlertEvent first = Alerts.critical(flag).build();
        AlertEvent next = Alerts.critical(flag).build();

        Alerts.send(first, next);

        assertThat(awaitEvent(Alerts.actionId(first)).getOutcome()).isEqualTo(RollbackOutcome.APPLIED);
        assertThat(awaitEvent(Alerts.actionId(next)).getOutcome()).isEqualTo(RollbackOutcome.SKIPPED_COOLDOWN);
        flagService.endAlert(next.getFingerprint());

        RollbackActionEvent later = awaitEvent(Alerts.actionId(next) + ":after-cooldown");
        assertThat(later.getOutcome()).isEqualTo(RollbackOutcome.NOTIFIED);
        assertThat(flagService.currentStage(flag)).isEqualTo(2);
        assertThat(flagService.writes(flag)).hasSize(1);
    }

    @Test
    void anAlertSkippedAgainAtItsRecheckIsRecheckedUnderACountedIdNotAStackedOne() {
        String flag = flagKey();
        flagService.define(flag, "REVERT_STAGE", false, 2, 4, 3);
        AlertEvent first = Alerts.critical(flag).build();
        // Two alerts skipped for the same cooldown are due together, rechecked in the order of their ids: the first
        // one's recheck reverts the flag again, which starts a new cooldown that skips the second one's recheck.
        AlertEvent rechecked = Alerts.critical(flag)
                .setFingerprint("fp-a-" + UUID.randomUUID())
                .build();
        AlertEvent skippedTwice = Alerts.critical(flag)
                .setFingerprint("fp-b-" + UUID.randomUUID())
                .build();
        String skippedTwiceId = Alerts.actionId(skippedTwice);

        Alerts.send(first, rechecked, skippedTwice);

        assertThat(awaitEvent(Alerts.actionId(first)).getOutcome()).isEqualTo(RollbackOutcome.APPLIED);
        assertThat(awaitEvent(Alerts.actionId(rechecked) + ":after-cooldown").getOutcome())
                .isEqualTo(RollbackOutcome.APPLIED);
        RollbackActionEvent skippedAgain = awaitEvent(skippedTwiceId + ":after-cooldown");
        assertThat(skippedAgain.getOutcome()).isEqualTo(RollbackOutcome.SKIPPED_COOLDOWN);
        assertThat(skippedAgain.getReason()).startsWith("Looked at again when the cooldown ended");

        RollbackActionEvent second = awaitEvent(skippedTwiceId + ":after-cooldown-2");
        assertThat(second.getOutcome()).isEqualTo(RollbackOutcome.APPLIED);
        assertThat(second.getReason()).contains("skipped as " + skippedTwiceId + ":after-cooldown");
        assertThat(flagService.writes(flag))
                .extracting(Call::idempotencyKey)
                .containsExactly(
                        Alerts.actionId(first),
                        Alerts.actionId(rechecked) + ":after-cooldown",
                        skippedTwiceId + ":after-cooldown-2");
    }

    @Test
    void theRecheckOfAnAlertWithALongFingerprintKeepsItsIdWithinTheFlagServiceKeyLimit() {
        String flag = flagKey();
        flagService.define(flag, "REVERT_STAGE", false, 2, 4, 3);
        AlertEvent first = Alerts.critical(flag).build();
        // Its own id (fingerprint ':' startsAt millis) is 194 characters, within the flag-service's 200.
        AlertEvent longFingerprint = Alerts.critical(flag)
                .setFingerprint("fp-" + UUID.randomUUID() + "-" + "x".repeat(140))
                .build();
        assertThat(Alerts.actionId(longFingerprint)).hasSize(194);

        Alerts.send(first, longFingerprint);

        assertThat(awaitEvent(Alerts.actionId(first)).getOutcome()).isEqualTo(RollbackOutcome.APPLIED);
        assertThat(awaitEvent(Alerts.actionId(longFingerprint)).getOutcome())
                .isEqualTo(RollbackOutcome.SKIPPED_COOLDOWN);
        await().atMost(TIMEOUT).until(() -> rechecksOf(flag).size() == 1);
        RollbackActionEvent later = rechecksOf(flag).get(0);

        assertThat(later.getOutcome()).isEqualTo(RollbackOutcome.APPLIED);
        assertThat(later.getActionId()).hasSizeLessThanOrEqualTo(200).contains(":after-cooldown");
        assertThat(flagService.writes(flag))
                .extracting(Call::idempotencyKey)
                .containsExactly(Alerts.actionId(first), later.getActionId());
        assertThat(Api.rollback(later.getActionId()).getString("outcome")).isEqualTo("APPLIED");
    }

    /** The actions decided when a cooldown on this flag ended, as published. */
    private List<RollbackActionEvent> rechecksOf(String flag) {
        return rollbacks.getRecords().stream()
                .map(record -> record.value())
                .filter(event -> flag.equals(event.getFlagKey())
                        && event.getReason().startsWith("Looked at again when the cooldown ended"))
                .toList();
    }

    @Test
    void warningAndResolvedAlertsAreIgnored() {
        String flag = flagKey();
        flagService.define(flag, "KILL");
        AlertEvent warning = Alerts.critical(flag).setSeverity(Severity.WARNING).build();
        AlertEvent resolved = Alerts.critical(flag)
                .setStatus(AlertStatus.RESOLVED)
                .setEndsAt(java.time.Instant.now())
                .build();
        String sentinelFlag = flagKey();
        flagService.define(sentinelFlag, "KILL");
        AlertEvent sentinel = Alerts.critical(sentinelFlag).build();

        // one partition, handled in order: once the sentinel is done, the two before it have been handled too
        Alerts.send(warning, resolved, sentinel);

        awaitEvent(Alerts.actionId(sentinel));
        assertThat(flagService.calls(flag)).isEmpty();
        assertThat(flagService.isKilled(flag)).isFalse();
        assertThat(Api.rollback(Alerts.actionId(warning))).isNull();
        assertThat(Api.rollback(Alerts.actionId(resolved))).isNull();
        assertThat(Api.metric("rollguard_rollback_alerts_ignored_total", "reason=\"not_critical\""))
                .isGreaterThanOrEqualTo(1);
        assertThat(Api.metric("rollguard_rollback_alerts_ignored_total", "reason=\"not_firing\""))
                .isGreaterThanOrEqualTo(1);
    }

    @Test
    void scopelessAlertOnlyNotifies() {
        AlertEvent alert = Alerts.scopeless("entries").build();

        Alerts.send(alert);

        RollbackActionEvent event = awaitEvent(Alerts.actionId(alert));
        assertThat(event.getOutcome()).isEqualTo(RollbackOutcome.NOTIFIED);
        assertThat(event.getAction()).isEqualTo(GuardAction.NOTIFY_ONLY);
        assertThat(event.getFlagKey()).isNull();
        assertThat(event.getScopeKey()).isEqualTo("table:entries");
        assertThat(event.getReason()).contains("names no flag");
        assertThat(flagService.calls("unused")).isEmpty();
    }

    @Test
    void controlCohortBreachNotifiesOnly() {
        String flag = flagKey();
        flagService.define(flag, "KILL");
        AlertEvent alert = Alerts.critical(flag).setCohort(Cohort.CONTROL).build();

        Alerts.send(alert);

        assertThat(awaitEvent(Alerts.actionId(alert)).getOutcome()).isEqualTo(RollbackOutcome.NOTIFIED);
        assertThat(flagService.writes(flag)).isEmpty();
    }

    @Test
    void thresholdAlertWithoutComparisonNotifiesOnly() {
        String flag = flagKey();
        flagService.define(flag, "KILL");
        AlertEvent alert = Alerts.critical(flag)
                .setRuleId("upload-failure-rate")
                .setComparator("GT")
                .setThreshold(0.1)
                .setComparison(null)
                .build();

        Alerts.send(alert);

        RollbackActionEvent event = awaitEvent(Alerts.actionId(alert));
        assertThat(event.getOutcome()).isEqualTo(RollbackOutcome.NOTIFIED);
        assertThat(event.getReason()).contains("without a comparison against the control cohort");
        assertThat(flagService.writes(flag)).isEmpty();
        assertThat(flagService.isKilled(flag)).isFalse();
    }

    @Test
    void longEvidenceIsShortenedForTheFlagServiceButKeptWhole() {
        String flag = flagKey();
        flagService.define(flag, "KILL");
        AlertEvent alert = Alerts.critical(flag).setRuleName("r".repeat(2500)).build();

        Alerts.send(alert);

        assertThat(awaitEvent(Alerts.actionId(alert)).getOutcome()).isEqualTo(RollbackOutcome.APPLIED);
        assertThat(flagService.audit(flag)).singleElement().satisfies(entry -> assertThat(entry.reason())
                .hasSizeLessThanOrEqualTo(2000));
        assertThat(Api.rollback(Alerts.actionId(alert)).getString("reason")).contains("r".repeat(2500));
    }

    @Test
    void unknownFlagIsRecordedAsSkipped() {
        AlertEvent alert = Alerts.critical(flagKey()).build();

        Alerts.send(alert);

        assertThat(awaitEvent(Alerts.actionId(alert)).getOutcome()).isEqualTo(RollbackOutcome.SKIPPED_NO_FLAG);
    }
}
