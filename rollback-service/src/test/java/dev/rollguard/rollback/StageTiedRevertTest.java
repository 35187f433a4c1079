package dev.rollguard.rollback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rollguard.infra.InfraTestResource;
import dev.rollguard.rollback.domain.Decision;
import dev.rollguard.rollback.mapping.RollbackMapper;
import dev.rollguard.rollback.repository.RollbackRepository;
import dev.rollguard.rollback.testing.Alerts;
import dev.rollguard.rollback.testing.Api;
import dev.rollguard.rollback.testing.FakeFlagService;
import dev.rollguard.rollback.testing.FakeFlagServiceResource;
import dev.rollguard.rollback.testing.InjectFakeFlagService;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.GuardAction;
import dev.rollguard.schemas.event.RollbackActionEvent;
import dev.rollguard.schemas.event.RollbackOutcome;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.smallrye.reactive.messaging.kafka.companion.ConsumerTask;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A REVERT_STAGE on a guard alert that names the stage it judged ({@code comparison.stageVersion}) is tied to that
 * stage: sent with it while the flag is still there, and not made once the flag is in another stage (stepped back or
 * forward before the alert was handled, or between the guard's read and its write), so one regression never moves a
 * flag back from a stage its evidence did not judge.
 */
@QuarkusTest
@QuarkusTestResource(
        value = InfraTestResource.class,
        initArgs = @ResourceArg(name = InfraTestResource.DATABASE, value = "rollguard_rollbacks"))
@QuarkusTestResource(FakeFlagServiceResource.class)
class StageTiedRevertTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    /** The version that began the stage a flag defined at a stage is in ({@link FakeFlagService#define}). */
    private static final long FIRST_STAGE_VERSION = 1L;

    @InjectFakeFlagService
    FakeFlagService flagService;

    @Inject
    RollbackRepository repository;

    @Inject
    Pool pool;

    private ConsumerTask<String, RollbackActionEvent> rollbacks;
    private ConsumerTask<String, byte[]> deadLetters;

    @BeforeEach
    void readTopics() {
        rollbacks = Alerts.rollbacks();
        deadLetters = Alerts.deadLetters();
    }

    @AfterEach
    void stopReading() {
        rollbacks.close();
        deadLetters.close();
    }

    /** A flag whose policy reverts a stage, at stage 3 of 4 since its version 1, without a cooldown. */
    private String revertingFlag() {
        String key = "flag-" + UUID.randomUUID();
        flagService.define(key, "REVERT_STAGE", false, 0, 4, 3);
        return key;
    }

    /** The guard's alert on the stage of {@code flag} that began at {@code stageVersion}. */
    private static AlertEvent judging(String flag, long stageVersion) {
        // Set on the builder's own comparison: Avro's copying builders pick the wrong class loader in a Quarkus test.
        AlertEvent.Builder alert = Alerts.critical(flag);
        alert.getComparison().setStageVersion(stageVersion);
        return alert.build();
    }

    private RollbackActionEvent awaitEvent(String actionId) {
        await().atMost(TIMEOUT)
                .until(() -> !Alerts.eventsOf(rollbacks, actionId).isEmpty());
        return Alerts.eventsOf(rollbacks, actionId).get(0);
    }

    private static double skippedCount(String flag) {
        return Api.metric(
                "rollguard_rollback_actions_total", "flag=\"" + flag + "\"", "outcome=\"SKIPPED_STAGE_CHANGED\"");
    }

    @Test
    void anAlertOnTheStageTheFlagIsInRevertsItWithThatStageSent() {
        String flag = revertingFlag();
        AlertEvent alert = judging(flag, FIRST_STAGE_VERSION);
        String id = Alerts.actionId(alert);

        Alerts.send(alert);

        RollbackActionEvent event = awaitEvent(id);
        assertThat(event.getOutcome()).isEqualTo(RollbackOutcome.APPLIED);
        assertThat(event.getAction()).isEqualTo(GuardAction.REVERT_STAGE);
        assertThat(event.getComparison().getStageVersion()).isEqualTo(FIRST_STAGE_VERSION);
        assertThat(flagService.currentStage(flag)).isEqualTo(2);
        assertThat(flagService.revertStageVersion(flag)).hasValue(FIRST_STAGE_VERSION);
        assertThat(flagService.writes(flag)).singleElement().satisfies(call -> {
            assertThat(call.path()).isEqualTo("/api/flags/" + flag + "/stage");
            assertThat(call.idempotencyKey()).isEqualTo(id);
            assertThat(call.body()).contains("\"action\":\"revert\"").contains("\"stageVersion\":1");
        });
        JsonPath stored = Api.rollback(id);
        assertThat(stored.getString("outcome")).isEqualTo("APPLIED");
        assertThat(stored.getLong("comparison.stageVersion")).isEqualTo(FIRST_STAGE_VERSION);
    }

    @Test
    void anAlertWhoseEvidenceBeganWithinTheStageRevertsIt() {
        String flag = revertingFlag();
        // metrics-ingest starts the stage's client statistics again at the allow-list edit: the guard judged from it
        long edited = flagService.editWithinStage(flag);
        AlertEvent alert = judging(flag, edited);
        String id = Alerts.actionId(alert);

        Alerts.send(alert);

        RollbackActionEvent event = awaitEvent(id);
        assertThat(event.getOutcome()).isEqualTo(RollbackOutcome.APPLIED);
        assertThat(flagService.currentStage(flag)).isEqualTo(2);
        assertThat(flagService.writes(flag)).singleElement().satisfies(call -> assertThat(call.body())
                .contains("\"stageVersion\":" + edited));
    }

    @Test
    void anAlertOnAStageTheFlagHasLeftDoesNotRevertIt() {
        String flag = revertingFlag();
        // An operator stepped the flag back from stage 3 to stage 2 (version 2 begins it) before the alert was read.
        flagService.revertAsAnOperator(flag);
        AlertEvent alert = judging(flag, FIRST_STAGE_VERSION);
        String id = Alerts.actionId(alert);

        Alerts.send(alert);

        RollbackActionEvent event = awaitEvent(id);
        assertThat(flagService.currentStage(flag))
                .as("left where the operator put it")
                .isEqualTo(2);
        assertThat(flagService.writes(flag)).isEmpty();
        JsonPath stored = Api.rollback(id);
        assertThat(stored.getString("state")).isEqualTo("DONE");
        assertThat(stored.getString("outcome")).isEqualTo("SKIPPED_STAGE_CHANGED");
        assertThat(stored.getString("action")).isEqualTo("REVERT_STAGE");
        assertThat(stored.getString("reason"))
                .startsWith("Not reverted: the alert judged the rollout stage that began at flag version 1")
                .contains("it is in stage 2, which began at version 2")
                .contains("The guard judges the stage the flag is in now on its own evidence.")
                .contains("Upload failures worse than control");
        assertThat(event.getReason()).isEqualTo(stored.getString("reason"));
        assertThat(event.getOutcome()).isEqualTo(RollbackOutcome.SKIPPED_STAGE_CHANGED);
        assertThat(skippedCount(flag)).isEqualTo(1.0);
    }

    @Test
    void twoAlertsOnOneStageMoveTheFlagBackOnce() {
        String flag = revertingFlag();
        AlertEvent first = judging(flag, FIRST_STAGE_VERSION);
        // another regressed variant of the same stage, read right after the first
        AlertEvent second = judging(flag, FIRST_STAGE_VERSION);

        Alerts.send(first, second);

        assertThat(awaitEvent(Alerts.actionId(first)).getOutcome()).isEqualTo(RollbackOutcome.APPLIED);
        awaitEvent(Alerts.actionId(second));
        assertThat(Api.doneOutcome(Alerts.actionId(second))).isEqualTo("SKIPPED_STAGE_CHANGED");
        assertThat(flagService.currentStage(flag)).as("one stage back, not two").isEqualTo(2);
        assertThat(flagService.writes(flag)).hasSize(1);
    }

    @Test
    void aRevertRefusedBecauseTheFlagLeftTheStageMeanwhileIsRecordedAsSkippedNotFailed() {
        String flag = revertingFlag();
        // The flag is in the judged stage when the guard reads it, and in another one when its revert arrives.
        flagService.moveStageBeforeNextRevert(flag);
        AlertEvent alert = judging(flag, FIRST_STAGE_VERSION);
        String id = Alerts.actionId(alert);

        Alerts.send(alert);

        RollbackActionEvent event = awaitEvent(id);
        assertThat(flagService.writes(flag)).singleElement().satisfies(call -> assertThat(call.body())
                .contains("\"stageVersion\":1"));
        assertThat(flagService.audit(flag)).isEmpty();
        assertThat(flagService.currentStage(flag)).isEqualTo(3);
        JsonPath stored = Api.rollback(id);
        assertThat(stored.getString("state")).isEqualTo("DONE");
        assertThat(stored.getString("outcome")).isEqualTo("SKIPPED_STAGE_CHANGED");
        assertThat(stored.getString("reason"))
                .startsWith("Not reverted: the alert judged the rollout stage that began at flag version 1")
                .contains("STAGE_CHANGED")
                .contains("on its own evidence");
        assertThat(event.getReason()).isEqualTo(stored.getString("reason"));
        assertThat(skippedCount(flag)).isEqualTo(1.0);
        assertThat(Api.metric("rollguard_rollback_actions_total", "flag=\"" + flag + "\"", "outcome=\"FAILED\""))
                .isZero();
        assertThat(deadLetters.getRecords())
                .noneMatch(r -> alert.getFingerprint().equals(r.key()));
    }

    @Test
    void anAlertThatNamesNoStageRevertsAsBefore() {
        String flag = revertingFlag();
        flagService.revertAsAnOperator(flag);
        AlertEvent alert = Alerts.critical(flag).build();

        Alerts.send(alert);

        assertThat(awaitEvent(Alerts.actionId(alert)).getOutcome()).isEqualTo(RollbackOutcome.APPLIED);
        assertThat(flagService.currentStage(flag)).isEqualTo(1);
        assertThat(flagService.revertStageVersion(flag)).as("sent untied").isEmpty();
    }

    @Test
    void aTiedRevertRefusedForAnotherReasonThanTheStageIsFailed() {
        String flag = revertingFlag();
        // Refused with a 409 that says nothing about the stage (the plan has no stage to go back to any more).
        flagService.refuseNextChange(flag, 409, "NO_STAGE");
        AlertEvent alert = judging(flag, FIRST_STAGE_VERSION);
        String id = Alerts.actionId(alert);

        Alerts.send(alert);

        RollbackActionEvent event = awaitEvent(id);
        assertThat(event.getOutcome()).isEqualTo(RollbackOutcome.FAILED);
        assertThat(flagService.writes(flag))
                .as("sent tied, once, not tried again")
                .singleElement()
                .satisfies(call -> assertThat(call.body()).contains("\"stageVersion\":1"));
        assertThat(flagService.currentStage(flag)).isEqualTo(3);
        JsonPath stored = Api.rollback(id);
        assertThat(stored.getString("state")).isEqualTo("DONE");
        assertThat(stored.getString("outcome")).isEqualTo("FAILED");
        assertThat(stored.getString("reason"))
                .doesNotStartWith("Not reverted")
                .contains("The flag-service refused: flag-service answered 409 NO_STAGE");
        assertThat(event.getReason()).isEqualTo(stored.getString("reason"));
        assertThat(skippedCount(flag)).isZero();
        assertThat(Api.metric("rollguard_rollback_actions_total", "flag=\"" + flag + "\"", "outcome=\"FAILED\""))
                .isEqualTo(1.0);
        assertThat(deadLetters.getRecords())
                .noneMatch(r -> alert.getFingerprint().equals(r.key()));
    }

    @Test
    void aTiedRevertWhoseAnswerWasLostIsSentAgainAsItWasFirstSent() {
        String flag = revertingFlag();
        // The flag-service reverts the flag but its answer is lost: the guard reads the pending action back from the
        // database and sends it again, as it does when the service is started again with the action pending.
        flagService.loseNextAnswer(flag);
        AlertEvent alert = judging(flag, FIRST_STAGE_VERSION);
        String id = Alerts.actionId(alert);

        Alerts.send(alert);

        RollbackActionEvent event = awaitEvent(id);
        assertThat(event.getOutcome()).isEqualTo(RollbackOutcome.APPLIED);
        assertThat(flagService.writes(flag)).hasSize(2).allSatisfy(call -> {
            assertThat(call.path()).isEqualTo("/api/flags/" + flag + "/stage");
            assertThat(call.idempotencyKey()).isEqualTo(id);
            assertThat(call.body()).contains("\"stageVersion\":1");
        });
        assertThat(flagService.writes(flag).get(1).body())
                .as("the same request under the same key, answered with the first answer")
                .isEqualTo(flagService.writes(flag).get(0).body());
        assertThat(flagService.audit(flag)).hasSize(1);
        assertThat(flagService.currentStage(flag)).as("one stage back").isEqualTo(2);
        assertThat(Api.doneOutcome(id)).isEqualTo("APPLIED");
    }

    /** The action a crash leaves behind: stored pending, its request perhaps sent, its alert's offset not committed. */
    private void storePending(AlertEvent alert, String reason) {
        repository
                .insert(
                        RollbackMapper.newRecord(
                                alert,
                                Alerts.actionId(alert),
                                alert.getFlagKey(),
                                new Decision(GuardAction.REVERT_STAGE, RollbackOutcome.APPLIED, false, reason),
                                FIRST_STAGE_VERSION,
                                Instant.now()),
                        null)
                .await()
                .atMost(Duration.ofSeconds(5));
    }

    @Test
    void aTiedRevertLeftPendingIsResumedTiedUnderItsKey() {
        String flag = revertingFlag();
        AlertEvent alert = judging(flag, FIRST_STAGE_VERSION);
        String id = Alerts.actionId(alert);
        String reason = "Automatic REVERT_STAGE by Rollguard.";
        storePending(alert, reason);
        // Stored by the release before request_format was kept, as every row of that release is.
        sql("update rollback_action set request_format = null where id = $1", id);

        // Started again, the guard reads the alert whose offset was not committed.
        Alerts.send(alert);

        assertThat(awaitEvent(id).getOutcome()).isEqualTo(RollbackOutcome.APPLIED);
        assertThat(flagService.writes(flag)).singleElement().satisfies(call -> {
            assertThat(call.idempotencyKey()).isEqualTo(id);
            assertThat(call.body()).contains("\"stageVersion\":1").contains("\"reason\":\"" + reason + "\"");
        });
        assertThat(flagService.revertStageVersion(flag)).hasValue(FIRST_STAGE_VERSION);
        assertThat(flagService.currentStage(flag)).isEqualTo(2);
    }

    private void sql(String statement, String id) {
        pool.preparedQuery(statement).execute(Tuple.of(id)).await().atMost(Duration.ofSeconds(5));
    }

    @Test
    void aPendingActionANewerReleaseStoredLongAgoIsFailedWithoutASend() {
        String flag = revertingFlag();
        AlertEvent alert = judging(flag, FIRST_STAGE_VERSION);
        String id = Alerts.actionId(alert);
        storePending(alert, "Automatic REVERT_STAGE by Rollguard.");
        // Stored by a newer release that sends it in another way, longer ago than that release may take to send it.
        sql("update rollback_action set request_format = 2, created_at = now() - interval '1 hour' where id = $1", id);

        Alerts.send(alert);

        RollbackActionEvent event = awaitEvent(id);
        assertThat(event.getOutcome()).isEqualTo(RollbackOutcome.FAILED);
        assertThat(flagService.writes(flag)).as("nothing sent").isEmpty();
        assertThat(flagService.currentStage(flag)).isEqualTo(3);
        JsonPath stored = Api.rollback(id);
        assertThat(stored.getString("state")).isEqualTo("DONE");
        assertThat(stored.getString("outcome")).isEqualTo("FAILED");
        assertThat(stored.getString("reason"))
                .startsWith("Automatic REVERT_STAGE by Rollguard. Not sent again")
                .contains("request format 2")
                .contains("Idempotency-Key " + id);
        assertThat(deadLetters.getRecords())
                .noneMatch(r -> alert.getFingerprint().equals(r.key()));
    }

    @Test
    void aPendingActionANewerReleaseStoredJustNowIsLeftToThatRelease() {
        String flag = revertingFlag();
        AlertEvent alert = judging(flag, FIRST_STAGE_VERSION);
        String id = Alerts.actionId(alert);
        storePending(alert, "Automatic REVERT_STAGE by Rollguard.");
        // A newer release stored it a moment ago and may be sending it now.
        sql("update rollback_action set request_format = 2 where id = $1", id);
        // Read after it on the same flag, so handled after it: once its event is out, the first alert was handled.
        AlertEvent later = Alerts.critical(flag).build();

        Alerts.send(alert, later);

        awaitEvent(Alerts.actionId(later));
        assertThat(flagService.writes(flag))
                .as("nothing sent under the newer release's key")
                .noneMatch(call -> id.equals(call.idempotencyKey()));
        assertThat(Alerts.eventsOf(rollbacks, id)).isEmpty();
        JsonPath stored = Api.rollback(id);
        assertThat(stored.getString("state")).isEqualTo("PENDING");
        assertThat(stored.getString("outcome")).isEqualTo("APPLIED");
        assertThat(Api.metric("rollguard_rollback_actions_total", "flag=\"" + flag + "\"", "outcome=\"FAILED\""))
                .isZero();
        assertThat(deadLetters.getRecords())
                .noneMatch(r -> alert.getFingerprint().equals(r.key()));
    }
}
