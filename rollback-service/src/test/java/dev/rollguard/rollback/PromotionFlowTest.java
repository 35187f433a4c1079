package dev.rollguard.rollback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import dev.rollguard.infra.InfraTestResource;
import dev.rollguard.rollback.service.Promoter;
import dev.rollguard.rollback.testing.Alerts;
import dev.rollguard.rollback.testing.Api;
import dev.rollguard.rollback.testing.FakeFlagService;
import dev.rollguard.rollback.testing.FakeFlagService.Call;
import dev.rollguard.rollback.testing.FakeFlagService.PlanStage;
import dev.rollguard.rollback.testing.FakeFlagServiceResource;
import dev.rollguard.rollback.testing.InjectFakeFlagService;
import dev.rollguard.schemas.event.RolloutAction;
import dev.rollguard.schemas.event.RolloutActionEvent;
import dev.rollguard.schemas.event.RolloutOutcome;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.reactive.messaging.kafka.companion.ConsumerTask;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The promoter against the real database and broker, with the flag-service and the alert-service's verdicts played by
 * a fake on a real port: each round reads every plan and verdict, and promotes, extends, holds or reverts.
 */
@QuarkusTest
@QuarkusTestResource(
        value = InfraTestResource.class,
        initArgs = @ResourceArg(name = InfraTestResource.DATABASE, value = "rollguard_rollbacks"))
@QuarkusTestResource(FakeFlagServiceResource.class)
class PromotionFlowTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final List<PlanStage> PLAN = List.of(
            new PlanStage("internal", 0, 0, 0, false),
            new PlanStage("10%", 10, 0, 100, true),
            new PlanStage("50%", 50, 0, 100, true),
            new PlanStage("100%", 100, 0, 0, false));

    @InjectFakeFlagService
    FakeFlagService flagService;

    @Inject
    Promoter promoter;

    private ConsumerTask<String, RolloutActionEvent> rollouts;

    @BeforeEach
    void readRollouts() {
        rollouts = Alerts.rollouts();
    }

    @AfterEach
    void stopReading() {
        rollouts.close();
    }

    @Test
    void aHealthyAutoStageIsPromotedOnceWithItsEvidence() {
        String flag = flagKey();
        flagService.definePlan(flag, PLAN, 1, Instant.now().minusSeconds(600), 86_400, 86_400, "hold");
        flagService.setVerdict(flag, verdict(flag, 1, "HEALTHY", 420, 3900, ""));

        round();

        List<Call> writes = flagService.writes(flag);
        assertThat(writes).hasSize(1);
        assertThat(writes.get(0).path()).isEqualTo("/api/flags/" + flag + "/rollout/promote");
        assertThat(writes.get(0).idempotencyKey()).isEqualTo(flag + ":1:PROMOTE:1");
        assertThat(writes.get(0).body()).contains("\"stageVersion\":1").contains("Automatic PROMOTE by Rollguard");
        assertThat(flagService.currentStage(flag)).isEqualTo(2);
        assertThat(flagService.audit(flag)).singleElement().satisfies(entry -> assertThat(entry.reason())
                .contains("stage '10%' (10 %) is healthy")
                .contains("420 treated / 3900 control clients"));

        RolloutActionEvent event = awaitEvents(flag, 1).get(0);
        assertThat(event.getAction()).isEqualTo(RolloutAction.PROMOTE);
        assertThat(event.getOutcome()).isEqualTo(RolloutOutcome.APPLIED);
        assertThat(event.getActionId()).isEqualTo(flag + ":1:PROMOTE:1");
        assertThat(event.getFromStage()).isEqualTo(1);
        assertThat(event.getToStage()).isEqualTo(2);
        assertThat(event.getToStageName()).isEqualTo("50%");
        assertThat(event.getToPercentage()).isEqualTo(50.0);
        assertThat(event.getStageVersion()).isEqualTo(1);
        assertThat(event.getTreatedClients()).isEqualTo(420);
        assertThat(event.getControlClients()).isEqualTo(3900);
        assertThat(event.getMinClientsPerCohort()).isEqualTo(100);
        assertThat(event.getVerdict()).isEqualTo("HEALTHY");
        assertThat(event.getConfidence()).isEqualTo(0.99);
        assertThat(event.getMetrics()).extracting(m -> m.getMetric()).containsExactly("failure");
        assertThat(event.getFlagVersionBefore()).isEqualTo(1);
        assertThat(event.getFlagVersionAfter()).isEqualTo(2);
        assertThat(event.getFlagChangedAt()).isNotNull();

        assertThat(Api.metric(
                        "rollguard_rollout_steps_total",
                        "flag=\"" + flag + "\"",
                        "action=\"PROMOTE\"",
                        "outcome=\"APPLIED\""))
                .as("the step counted under its flag, for dashboards")
                .isEqualTo(1.0);

        // The verdict still names the stage that was promoted: it says nothing about the new one.
        round();
        assertThat(flagService.writes(flag)).hasSize(1);
        Api.asAdmin()
                .queryParam("flag", flag)
                .get("/api/promotions")
                .then()
                .statusCode(200)
                .body("[0].decision", equalTo("WAIT"))
                .body("[0].stageName", equalTo("50%"))
                .body("[0].waitingFor", hasItem("VERDICT"))
                .body("[0].reasons", hasItem("no guard verdict on this stage yet"));
        await().atMost(TIMEOUT).untilAsserted(() -> Api.asAdmin()
                .queryParam("flag", flag)
                .get("/api/rollouts")
                .then()
                .statusCode(200)
                .body("actionId", contains(flag + ":1:PROMOTE:1"))
                .body("[0].action", equalTo("PROMOTE"))
                .body("[0].outcome", equalTo("APPLIED"))
                .body("[0].treatedClients", equalTo(420))
                .body("[0].published", equalTo(true)));
        Api.asAdmin()
                .get("/api/rollouts/" + flag + ":1:PROMOTE:1")
                .then()
                .statusCode(200)
                .body("toStageName", equalTo("50%"));
        Api.asAdmin()
                .get("/api/rollouts/" + flag + ":9:PROMOTE:9")
                .then()
                .statusCode(404)
                .body("code", equalTo("NOT_FOUND"));
    }

    @Test
    void nothingAdvancesOnAnAlertAManualStageOrAnInconclusiveVerdict() {
        String alerted = flagKey();
        flagService.definePlan(alerted, PLAN, 1, Instant.now().minusSeconds(600), 86_400, 86_400, "hold");
        flagService.setVerdict(
                alerted,
                verdict(
                        alerted,
                        1,
                        "HEALTHY",
                        420,
                        3900,
                        "{\"ruleId\":\"upload-failures\",\"ruleName\":\"Upload failures\",\"scopeKey\":\"flag:"
                                + alerted
                                + ":treatment\",\"cohort\":\"TREATMENT\",\"severity\":\"WARNING\",\"phase\":\"PENDING\"}"));
        String manual = flagKey();
        flagService.definePlan(manual, PLAN, 0, Instant.now().minusSeconds(600), 86_400, 86_400, "hold");
        flagService.setVerdict(manual, verdict(manual, 1, "HEALTHY", 420, 3900, ""));
        String inconclusive = flagKey();
        flagService.definePlan(inconclusive, PLAN, 1, Instant.now().minusSeconds(600), 86_400, 86_400, "hold");
        flagService.setVerdict(inconclusive, verdict(inconclusive, 1, "INCONCLUSIVE", 420, 3900, ""));

        round();

        assertThat(flagService.writes(alerted)).isEmpty();
        assertThat(flagService.writes(manual)).isEmpty();
        assertThat(flagService.writes(inconclusive)).isEmpty();
        Api.asAdmin()
                .queryParam("flag", alerted)
                .get("/api/promotions")
                .then()
                .body("[0].waitingFor", contains("ALERTS"))
                .body(
                        "[0].reasons[0]",
                        equalTo("alert pending: 'Upload failures' WARNING on flag:" + alerted + ":treatment"));
        Api.asAdmin().queryParam("flag", manual).get("/api/promotions").then().body("[0].decision", equalTo("MANUAL"));
        Api.asAdmin()
                .queryParam("flag", inconclusive)
                .get("/api/promotions")
                .then()
                .body("[0].waitingFor", contains("VERDICT"))
                .body("[0].verdict", equalTo("INCONCLUSIVE"));
    }

    @Test
    void aStageShortOfClientsIsExtendedOnceThenHeld() {
        String flag = flagKey();
        // Deadline and extension of a second each, long past.
        flagService.definePlan(flag, PLAN, 1, Instant.now().minusSeconds(60), 1, 1, "hold");
        flagService.setVerdict(flag, verdict(flag, 1, "HEALTHY", 12, 3900, ""));

        round();
        assertThat(flagService.writes(flag)).as("an extension changes no flag").isEmpty();
        round();
        assertThat(flagService.isPaused(flag)).isTrue();
        assertThat(flagService.writes(flag)).singleElement().satisfies(call -> assertThat(call.idempotencyKey())
                .isEqualTo(flag + ":1:HOLD"));
        assertThat(flagService.audit(flag).get(0).reason())
                .startsWith("Automatic HOLD by Rollguard: stage '10%' still missed its minimums after its extension")
                .contains("clients: 12 treated, 3900 control; 100 needed in each");

        List<RolloutActionEvent> events = awaitEvents(flag, 2);
        assertThat(events)
                .extracting(RolloutActionEvent::getAction)
                .containsExactly(RolloutAction.EXTEND, RolloutAction.HOLD);
        assertThat(events).extracting(RolloutActionEvent::getOutcome).containsOnly(RolloutOutcome.APPLIED);

        // Paused: left alone. Resumed by an operator: it waits for its evidence without a deadline, and is never held
        // twice in the same stage.
        round();
        flagService.setPaused(flag, false);
        round();
        assertThat(flagService.writes(flag)).hasSize(1);
        Api.asAdmin()
                .queryParam("flag", flag)
                .get("/api/promotions")
                .then()
                .body("[0].decision", equalTo("WAIT"))
                .body(
                        "[0].reasons",
                        hasItem("held once in this stage: now waiting for its evidence without a deadline"));
        // Enough clients at last: promoted.
        flagService.setVerdict(flag, verdict(flag, 1, "HEALTHY", 150, 3900, ""));
        round();
        assertThat(flagService.currentStage(flag)).isEqualTo(2);
    }

    @Test
    void aStageShortOfClientsIsRevertedWhenThePlanSaysSo() {
        String flag = flagKey();
        flagService.definePlan(flag, PLAN, 2, Instant.now().minusSeconds(60), 1, 0, "revert");
        flagService.setVerdict(flag, verdict(flag, 1, "INSUFFICIENT_DATA", 3, 40, ""));
        Long decidedOn = flagService.stageVersion(flag);

        round();

        assertThat(flagService.currentStage(flag)).isEqualTo(1);
        assertThat(flagService.revertStageVersion(flag))
                .as("the revert names the stage it was decided on")
                .contains(decidedOn);
        RolloutActionEvent event = awaitEvents(flag, 1).get(0);
        assertThat(event.getAction()).isEqualTo(RolloutAction.REVERT);
        assertThat(event.getToStageName()).isEqualTo("10%");
        assertThat(event.getReason()).contains("back to '10%' (10 %) as the plan says");
    }

    @Test
    void aRevertDecidedOnAStageThatEndedMeanwhileIsRefusedNotAppliedToTheNextStage() {
        String flag = flagKey();
        flagService.definePlan(flag, PLAN, 2, Instant.now().minusSeconds(60), 1, 0, "revert");
        flagService.setVerdict(flag, verdict(flag, 1, "INSUFFICIENT_DATA", 3, 40, ""));
        // An operator moves the flag between the promoter's decision and its request.
        flagService.moveStageBeforeNextRevert(flag);

        round();

        assertThat(flagService.currentStage(flag))
                .as("not moved back from the stage the operator chose")
                .isEqualTo(2);
        RolloutActionEvent event = awaitEvents(flag, 1).get(0);
        assertThat(event.getAction()).isEqualTo(RolloutAction.REVERT);
        assertThat(event.getOutcome()).isEqualTo(RolloutOutcome.REFUSED);
        assertThat(event.getReason()).contains("STAGE_CHANGED");
    }

    @Test
    void aPromotionInterruptedByAnOutageIsFinishedByALaterRoundExactlyOnce() {
        String flag = flagKey();
        flagService.definePlan(flag, PLAN, 1, Instant.now().minusSeconds(600), 86_400, 86_400, "hold");
        flagService.setVerdict(flag, verdict(flag, 1, "HEALTHY", 420, 3900, ""));
        flagService.loseNextAnswer(flag);

        round();
        assertThat(flagService.currentStage(flag)).as("applied, answer lost").isEqualTo(2);
        assertThat(rolloutsNow(flag)).isEmpty();

        round();

        assertThat(flagService.audit(flag)).hasSize(1);
        RolloutActionEvent event = awaitEvents(flag, 1).get(0);
        assertThat(event.getOutcome()).isEqualTo(RolloutOutcome.APPLIED);
        assertThat(flagService.writes(flag)).extracting(Call::idempotencyKey).containsOnly(flag + ":1:PROMOTE:1");
    }

    @Test
    void aFlagServiceOutageSkipsTheRoundAndChangesNothing() {
        String flag = flagKey();
        flagService.definePlan(flag, PLAN, 1, Instant.now().minusSeconds(600), 86_400, 86_400, "hold");
        flagService.setVerdict(flag, verdict(flag, 1, "HEALTHY", 420, 3900, ""));
        flagService.setUnavailable(true);
        try {
            round();
        } finally {
            flagService.setUnavailable(false);
        }
        assertThat(flagService.currentStage(flag)).isEqualTo(1);
        round();
        assertThat(flagService.currentStage(flag)).isEqualTo(2);
    }

    @Test
    void aHealthyVerdictOnWindowsThatRunLateWaitsUntilTheWindowsCatchUp() {
        String flag = flagKey();
        flagService.definePlan(flag, PLAN, 1, Instant.now().minusSeconds(600), 86_400, 86_400, "hold");
        // The newest window judged ended five minutes ago: more than the default evidence age (150 s).
        flagService.setVerdict(
                flag, verdict(flag, 1, "HEALTHY", 420, 3900, "", Instant.now().minusSeconds(300)));
        round();
        assertThat(flagService.writes(flag)).isEmpty();
        assertThat(flagService.currentStage(flag)).isEqualTo(1);

        flagService.setVerdict(flag, verdict(flag, 1, "HEALTHY", 420, 3900, ""));
        round();
        assertThat(flagService.currentStage(flag)).isEqualTo(2);
    }

    private void round() {
        promoter.round(Instant.now()).await().atMost(TIMEOUT);
    }

    private List<RolloutActionEvent> awaitEvents(String flag, int count) {
        await().atMost(TIMEOUT).until(() -> Alerts.rolloutsOf(rollouts, flag).size() >= count);
        return Alerts.rolloutsOf(rollouts, flag);
    }

    private List<RolloutActionEvent> rolloutsNow(String flag) {
        return Alerts.rolloutsOf(rollouts, flag);
    }

    private static String flagKey() {
        return "plan-" + UUID.randomUUID();
    }

    /** A verdict as the alert-service's GET /api/guard serves it; {@code alerts} is the JSON inside the array. */
    private static String verdict(
            String flag, long stageVersion, String status, long treated, long control, String alerts) {
        return verdict(flag, stageVersion, status, treated, control, alerts, Instant.now());
    }

    /** A verdict whose newest judged window ended at {@code judgedAt}. */
    private static String verdict(
            String flag,
            long stageVersion,
            String status,
            long treated,
            long control,
            String alerts,
            Instant judgedAt) {
        return """
                {"flagKey": "%s", "stageVersion": %d, "status": "%s", "severity": "NONE", "summary": "",
                 "confidence": 0.99, "judgedAt": "%s",
                 "metrics": [{"metric": "failure", "label": "failure rate", "status": "NON_INFERIOR",
                              "treated": 0.011, "control": 0.012, "relativeEffect": -0.08, "effectLower": -0.3,
                              "effectUpper": 0.2, "confidence": 0.999, "treatedClients": %d, "controlClients": %d}],
                 "alerts": [%s]}
                """
                .formatted(flag, stageVersion, status, judgedAt, treated, control, alerts);
    }
}
