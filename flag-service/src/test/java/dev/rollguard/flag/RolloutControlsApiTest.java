package dev.rollguard.flag;

import static dev.rollguard.flag.Api.admin;
import static dev.rollguard.flag.Api.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.schemas.event.FlagChangeType;
import dev.rollguard.schemas.event.FlagChangedEvent;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The rollout plan of a flag and its controls over REST, against the real database and broker: plan validation, each
 * control and each refusal, one audit row per accepted control, Idempotency-Key, and what flags.changes carries.
 */
@QuarkusTest
@QuarkusTestResource(FlagServiceInfra.class)
class RolloutControlsApiTest {

    private static final List<Map<String, Object>> PLAN = List.of(
            Map.of("name", "internal", "percentage", 0),
            Map.of(
                    "name",
                    "10%",
                    "percentage",
                    10,
                    "minClientsPerCohort",
                    200,
                    "promotion",
                    "auto",
                    "tolerancePercent",
                    50),
            Map.of("name", "50%", "percentage", 50, "minSoakSeconds", 3600, "promotion", "auto"),
            Map.of("name", "100%", "percentage", 100));

    @Test
    void aFlagCreatedWithoutAPlanGetsTheDefaultOne() {
        String key = Api.key("default-plan");
        Api.create(Map.of("key", key, "enabled", true));
        admin().get("/api/flags/" + key)
                .then()
                .body("stages.name", equalTo(List.of("internal", "10%", "50%", "100%")))
                .body("stages.percentage", equalTo(List.of(0f, 10f, 50f, 100f)))
                .body("stages[1].minSoakSeconds", equalTo(3600))
                .body("stages[1].minClientsPerCohort", equalTo(100))
                .body("stages[1].promotion", equalTo("manual"))
                .body("onMinimumsNotMet.deadlineSeconds", equalTo(86400))
                .body("onMinimumsNotMet.extensionSeconds", equalTo(86400))
                .body("onMinimumsNotMet.then", equalTo("hold"))
                .body("currentStage", nullValue());
        admin().get("/api/flags/" + key + "/rollout").then().statusCode(200).body("phase", equalTo("NOT_STARTED"));
    }

    @Test
    void aPlanIsStoredWithItsMinimumsAndModesAndChangedByPatch() {
        String key = Api.key("planned");
        String etag = Api.create(Map.of(
                "key",
                key,
                "stages",
                PLAN,
                "onMinimumsNotMet",
                Map.of("deadlineSeconds", 1800, "extensionSeconds", 600, "then", "revert")));
        admin().get("/api/flags/" + key)
                .then()
                .body("stages[1].minClientsPerCohort", equalTo(200))
                .body("stages[1].promotion", equalTo("auto"))
                .body("stages[1].tolerancePercent", equalTo(50))
                .body("stages[2].tolerancePercent", nullValue())
                .body("stages[0].promotion", equalTo("manual"))
                .body("onMinimumsNotMet.then", equalTo("revert"))
                .body("onMinimumsNotMet.extensionSeconds", equalTo(600));

        admin().header("If-Match", etag)
                .body(Map.of("onMinimumsNotMet", Map.of("then", "hold")))
                .patch("/api/flags/" + key)
                .then()
                .statusCode(200)
                .body("onMinimumsNotMet.then", equalTo("hold"))
                .body("onMinimumsNotMet.deadlineSeconds", equalTo(1800))
                .body("stages[2].minSoakSeconds", equalTo(3600))
                .body("stages[1].tolerancePercent", equalTo(50));
        admin().get("/api/flags/" + key + "/rollout").then().body("stages[1].tolerancePercent", equalTo(50));
        // An explicit empty plan leaves the share to be set by hand.
        admin().header("If-Match", "\"2\"")
                .body(Map.of("stages", List.of(), "rolloutPercentage", 20))
                .patch("/api/flags/" + key)
                .then()
                .statusCode(200)
                .body("stages", hasSize(0))
                .body("rolloutPercentage", equalTo(20f));
        admin().get("/api/flags/" + key + "/rollout").then().body("phase", equalTo("NO_PLAN"));
    }

    @Test
    void anInvalidPlanIsRefusedNamingTheField() {
        invalidPlan(
                Map.of("stages", List.of(stage("a", 10), stage("b", 10))),
                "stages[1].percentage",
                "must be above the previous stage's 10.00 %");
        invalidPlan(
                Map.of("stages", List.of(stage("a", 10), stage("a", 20))), "stages[1].name", "repeats the stage name");
        invalidPlan(
                Map.of("stages", List.of(Map.of("name", "a", "percentage", 5, "promotion", "sometimes"))),
                "stages[0].promotion",
                "must be auto or manual");
        invalidPlan(
                Map.of("stages", List.of(Map.of("name", "a", "percentage", 5, "minClientsPerCohort", -1))),
                "stages[0].minClientsPerCohort",
                "must be greater than or equal to 0");
        invalidPlan(
                Map.of("stages", List.of(Map.of("name", "a", "percentage", 5, "tolerancePercent", 0))),
                "stages[0].tolerancePercent",
                "must be a whole percentage from 1 to 300");
        invalidPlan(
                Map.of("stages", List.of(Map.of("name", "a", "percentage", 5, "tolerancePercent", 301))),
                "stages[0].tolerancePercent",
                "must be a whole percentage from 1 to 300");
        invalidPlan(
                Map.of("onMinimumsNotMet", Map.of("then", "explode")),
                "onMinimumsNotMet.then",
                "must be hold or revert");
        invalidPlan(
                Map.of("onMinimumsNotMet", Map.of("deadlineSeconds", 0)),
                "onMinimumsNotMet.deadlineSeconds",
                "must be greater than 0");
        invalidPlan(Map.of("stages", List.of(stage("a", 10)), "currentStage", 1), "currentStage", "must be an index");
    }

    @Test
    void durationsPastTenYearsAreRefusedNamingTheField() {
        for (long seconds : List.of(315_360_001L, 100_000_000_000_000_000L, Long.MAX_VALUE)) {
            invalidPlan(
                    Map.of("stages", List.of(Map.of("name", "a", "percentage", 5, "minSoakSeconds", seconds))),
                    "stages[0].minSoakSeconds",
                    "must be at most 315360000 (10 years)");
            invalidPlan(
                    Map.of("onMinimumsNotMet", Map.of("deadlineSeconds", seconds)),
                    "onMinimumsNotMet.deadlineSeconds",
                    "must be at most 315360000");
            invalidPlan(
                    Map.of("onMinimumsNotMet", Map.of("extensionSeconds", seconds)),
                    "onMinimumsNotMet.extensionSeconds",
                    "must be at most 315360000");
            invalidPlan(
                    Map.of("guardPolicy", Map.of("cooldownSeconds", seconds)),
                    "guardPolicy.cooldownSeconds",
                    "must be at most 315360000");
        }

        // The longest soak allowed: promote and stage advance refuse it as not over, not with a 500.
        String key = Api.key("ten-year-soak");
        String etag = Api.create(Map.of(
                "key",
                key,
                "enabled",
                true,
                "stages",
                List.of(Map.of("name", "a", "percentage", 5, "minSoakSeconds", 315_360_000L), stage("b", 50)),
                "currentStage",
                0));
        refusal(promote(key, "go"), 409, "SOAK_NOT_ELAPSED", "315360000 s");
        refusal(
                admin().body(Map.of("action", "advance")).post("/api/flags/" + key + "/stage"),
                409,
                "SOAK_NOT_ELAPSED",
                "315360000 s");
        admin().header("If-Match", etag)
                .body(Map.of("stages", List.of(Map.of("name", "a", "percentage", 5, "minSoakSeconds", Long.MAX_VALUE))))
                .patch("/api/flags/" + key)
                .then()
                .statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED"))
                .body("violations.field", hasItem("stages[0].minSoakSeconds"));
    }

    @Test
    void createLeavesTheShareToTheStageAsAPatchDoes() {
        // Another share than the stage's would be dropped unsaid: refused, as the same PATCH is, and nothing saved.
        String key = Api.key("created-stage");
        refusal(
                admin().body(Map.of("key", key, "stages", PLAN, "currentStage", 1, "rolloutPercentage", 50))
                        .post("/api/flags"),
                409,
                "SHARE_SET_BY_STAGE",
                "stage '10%' (10 %), not by rolloutPercentage (50 %)");
        admin().get("/api/flags/" + key).then().statusCode(404);
        admin().queryParam("flag", key).get("/api/audit").then().statusCode(200).body("$", hasSize(0));
        String onDefaultPlan = Api.key("created-default-stage");
        admin().body(Map.of("key", onDefaultPlan, "currentStage", 2, "rolloutPercentage", 10))
                .post("/api/flags")
                .then()
                .statusCode(409)
                .body("code", equalTo("SHARE_SET_BY_STAGE"))
                .body(
                        "message",
                        equalTo("the rollout of flag '" + onDefaultPlan + "' is set by its stage '50%' (50 %), not"
                                + " by rolloutPercentage (10 %): leave rolloutPercentage out (the stage sets it), or create the flag off a plan"
                                + " (\"stages\": [] without currentStage) to set rolloutPercentage by hand"))
                .body("violations", nullValue());
        // A stage that is not in the plan stays a validation error.
        invalidPlan(
                Map.of("stages", List.of(stage("a", 10)), "currentStage", 1, "rolloutPercentage", 5),
                "currentStage",
                "must be an index");

        // The stage's own share is accepted, as by a PATCH; so is leaving the share to the stage.
        Api.create(Map.of("key", key, "stages", PLAN, "currentStage", 1, "rolloutPercentage", 10.00));
        admin().get("/api/flags/" + key)
                .then()
                .body("currentStage", equalTo(1))
                .body("rolloutPercentage", equalTo(10f))
                .body("stageVersion", equalTo(1));
        Api.create(Map.of("key", onDefaultPlan, "currentStage", 2));
        admin().get("/api/flags/" + onDefaultPlan).then().body("rolloutPercentage", equalTo(50f));
    }

    @Test
    void patchLeavesTheShareToTheStageAndSetsAStageAsTheStageEndpointDoes() {
        String key = Api.key("patched-stage");
        Api.create(Map.of("key", key, "enabled", true, "stages", PLAN, "currentStage", 1));

        // The stage sets the share: a PATCH of another one would change nothing, so it is refused.
        refusal(patch(key, "\"1\"", Map.of("rolloutPercentage", 50)), 409, "SHARE_SET_BY_STAGE", "/stage");
        refusal(
                patch(key, "\"1\"", Map.of("rolloutPercentage", 50, "description", "half")),
                409,
                "SHARE_SET_BY_STAGE",
                "stage '10%' (10 %), not by rolloutPercentage (50 %)");
        admin().get("/api/flags/" + key)
                .then()
                .header("ETag", "\"1\"")
                .body("rolloutPercentage", equalTo(10f))
                .body("description", nullValue());
        admin().queryParam("flag", key).get("/api/audit").then().body("action", equalTo(List.of("CREATE")));

        // The stage's own share, and a new plan that changes the stage's share, are edits.
        patch(key, "\"1\"", Map.of("rolloutPercentage", 10, "description", "ten"))
                .then()
                .statusCode(200)
                .body("version", equalTo(2));
        Object enteredAt = admin().get("/api/flags/" + key)
                .then()
                .body("stageVersion", equalTo(1))
                .extract()
                .path("stageEnteredAt");
        List<Map<String, Object>> wider = List.of(stage("internal", 0), stage("20%", 20), stage("100%", 100));
        // A new share for the stage in force is entering it anew: its soak and the guard's verdict start again.
        patch(key, "\"2\"", Map.of("stages", wider))
                .then()
                .statusCode(200)
                .body("currentStage", equalTo(1))
                .body("rolloutPercentage", equalTo(20f))
                .body("stageVersion", equalTo(3))
                .body("stageEnteredAt", not(equalTo(enteredAt)));
        admin().queryParam("flag", key)
                .get("/api/audit")
                .then()
                .body("[0].action", equalTo("UPDATE"))
                .body("[0].fromStage", equalTo(1))
                .body("[0].toStage", equalTo(1));

        // Another stage is a stage set: it takes that stage's share and starts its soak.
        refusal(
                patch(key, "\"3\"", Map.of("currentStage", 2, "rolloutPercentage", 30)),
                409,
                "SHARE_SET_BY_STAGE",
                "stage '100%' (100 %)");
        patch(key, "\"3\"", Map.of("currentStage", 2))
                .then()
                .statusCode(200)
                .body("rolloutPercentage", equalTo(100f))
                .body("stageVersion", equalTo(4));

        // Off the plan, the share is set by hand.
        Map<String, Object> offPlan = new java.util.HashMap<>();
        offPlan.put("stages", List.of());
        offPlan.put("currentStage", null);
        offPlan.put("rolloutPercentage", 35);
        patch(key, "\"4\"", offPlan)
                .then()
                .statusCode(200)
                .body("currentStage", nullValue())
                .body("rolloutPercentage", equalTo(35f));

        // An aborted rollout goes back only by retry, as with the stage endpoint.
        String aborted = Api.key("patched-aborted");
        Api.create(Map.of("key", aborted, "enabled", true, "stages", PLAN, "currentStage", 1));
        control(aborted, "abort", "errors up").then().statusCode(200);
        refusal(patch(aborted, "\"2\"", Map.of("currentStage", 3)), 409, "ABORTED", "retry it first");
        admin().body(Map.of("action", "set", "stage", 3))
                .post("/api/flags/" + aborted + "/stage")
                .then()
                .statusCode(409)
                .body("code", equalTo("ABORTED"));
        admin().get("/api/flags/" + aborted)
                .then()
                .header("ETag", "\"2\"")
                .body("aborted", equalTo(true))
                .body("currentStage", nullValue());
        Api.evaluate(aborted, "someone").then().statusCode(200).body("value", equalTo(false));
    }

    @Test
    void theControlsWalkARolloutAndEachWritesOneAuditRow() {
        String key = Api.key("walked");
        Api.create(Map.of("key", key, "enabled", true, "stages", PLAN, "allowList", List.of("dev@example.com")));

        promote(key, "internal looks fine").then().statusCode(200).body("currentStage", equalTo(0));
        promote(key, "to ten percent").then().statusCode(200).body("rolloutPercentage", equalTo(10f));
        admin().get("/api/flags/" + key + "/rollout")
                .then()
                .body("phase", equalTo("PROGRESSING"))
                .body("currentStage", equalTo(1))
                .body("stages.status", equalTo(List.of("COMPLETED", "CURRENT", "PENDING", "PENDING")))
                .body("soakRemainingSeconds", equalTo(0));

        control(key, "pause", "latency up").then().statusCode(200).body("paused", equalTo(true));
        control(key, "pause", "again").then().statusCode(200).body("pauseReason", equalTo("latency up"));
        refusal(promote(key, "go"), 409, "PAUSED", "latency up");
        refusal(admin().body(Map.of()).post("/api/flags/" + key + "/rollout/resume"), 422, "REASON_REQUIRED", "reason");
        refusal(admin().post("/api/flags/" + key + "/rollout/resume"), 422, "REASON_REQUIRED", "reason");
        control(key, "resume", "latency explained").then().statusCode(200).body("paused", equalTo(false));
        refusal(control(key, "resume", "twice"), 409, "NOT_PAUSED", "not paused");

        promote(key, "to half").then().statusCode(200).body("currentStage", equalTo(2));
        refusal(promote(key, "too soon"), 409, "SOAK_NOT_ELAPSED", "skipSoak");
        admin().header("X-Rollguard-Actor", "alice")
                .body(Map.of("reason", "release day", "skipSoak", true))
                .post("/api/flags/" + key + "/rollout/promote")
                .then()
                .statusCode(200)
                .body("rolloutPercentage", equalTo(100f));
        refusal(promote(key, "beyond"), 409, "LAST_STAGE", "already at its last stage '100%'");
        admin().get("/api/flags/" + key + "/rollout").then().body("phase", equalTo("COMPLETED"));

        refusal(control(key, "abort", " "), 422, "REASON_REQUIRED", "reason");
        control(key, "abort", "checkout errors")
                .then()
                .statusCode(200)
                .body("aborted", equalTo(true))
                .body("abortReason", equalTo("checkout errors"))
                .body("abortedAtStage", equalTo(3))
                .body("currentStage", nullValue())
                .body("rolloutPercentage", equalTo(0f));
        // Aborted means off for everyone, the allow-listed internal users included.
        Api.evaluate(key, "dev@example.com").then().body("value", equalTo(false));
        refusal(promote(key, "go"), 409, "ABORTED", "checkout errors");
        refusal(control(key, "abort", "again"), 409, "ABORTED", "already aborted");
        admin().get("/api/flags/" + key + "/rollout")
                .then()
                .body("phase", equalTo("ABORTED"))
                .body("stages.status", equalTo(List.of("COMPLETED", "COMPLETED", "COMPLETED", "STOPPED")));

        refusal(admin().body(Map.of()).post("/api/flags/" + key + "/rollout/retry"), 422, "REASON_REQUIRED", "reason");
        control(key, "retry", "fixed in 2.3.1")
                .then()
                .statusCode(200)
                .body("aborted", equalTo(false))
                .body("currentStage", equalTo(3))
                .body("rolloutPercentage", equalTo(100f));
        Api.evaluate(key, "u1").then().body("value", equalTo(true));
        refusal(control(key, "retry", "again"), 409, "NOTHING_TO_RETRY", "neither aborted nor killed");

        // Create, then promote, promote, pause, resume, promote, promote, abort, retry: refusals leave no row.
        List<Map<String, Object>> audit = admin().queryParam("flag", key)
                .get("/api/audit")
                .then()
                .extract()
                .jsonPath()
                .getList("$");
        assertThat(audit)
                .extracting(row -> row.get("action"))
                .containsExactly(
                        "RETRY", "ABORT", "PROMOTE", "PROMOTE", "RESUME", "PAUSE", "PROMOTE", "PROMOTE", "CREATE");
        assertThat(audit.get(0)).containsEntry("fromStage", null).containsEntry("toStage", 3);
        assertThat(audit.get(0)).containsEntry("reason", "fixed in 2.3.1");
        assertThat(audit.get(1)).containsEntry("fromStage", 3).containsEntry("toStage", null);
        assertThat(audit.get(2))
                .containsEntry("actor", "alice")
                .containsEntry("reason", "release day")
                .containsEntry("fromStage", 2)
                .containsEntry("toStage", 3);
        assertThat(audit.get(8)).containsEntry("fromStage", null);
    }

    @Test
    void aKilledFlagIsNotPromotedAndAKillOfItRecordsTheNewReason() {
        String key = Api.key("killed");
        Api.create(Map.of("key", key, "enabled", true, "stages", PLAN, "currentStage", 1));
        Api.kill(key, "crash rate critical");

        refusal(promote(key, "ship it"), 409, "KILLED", "crash rate critical");
        refusal(admin().body(Map.of("action", "advance")).post("/api/flags/" + key + "/stage"), 409, "KILLED", "retry");
        admin().get("/api/flags/" + key).then().body("rolloutPercentage", equalTo(10f));

        admin().header("X-Rollguard-Actor", "bob")
                .body(Map.of("reason", "still crashing on Android 14"))
                .post("/api/flags/" + key + "/kill")
                .then()
                .statusCode(200)
                .body("version", equalTo(2))
                .body("killReason", equalTo("crash rate critical"));
        admin().queryParam("flag", key)
                .queryParam("actor", "bob")
                .get("/api/audit")
                .then()
                .body("$", hasSize(1))
                .body("[0].action", equalTo("KILL"))
                .body("[0].reason", equalTo("still crashing on Android 14"));

        control(key, "retry", "fixed in 2.3.2")
                .then()
                .statusCode(200)
                .body("killed", equalTo(false))
                .body("killReason", nullValue())
                .body("currentStage", equalTo(1))
                .body("rolloutPercentage", equalTo(10f));
        admin().queryParam("flag", key).get("/api/audit").then().body("action", hasItem("RETRY"));
    }

    @Test
    void theServiceTokenPromotesOnlyAnAutoStageOnEvidenceOfTheStageInForce() {
        String key = Api.key("auto-promote");
        Api.create(Map.of("key", key, "enabled", true, "stages", PLAN));
        promote(key, "to the internal team").then().statusCode(200).body("stageVersion", equalTo(2));
        refusal(
                service().body(Map.of("reason", "healthy")).post("/api/flags/" + key + "/rollout/promote"),
                409,
                "MANUAL_STAGE",
                "'internal'");

        promote(key, "to 10 %").then().statusCode(200);
        admin().get("/api/flags/" + key + "/rollout")
                .then()
                .body("currentStage", equalTo(1))
                .body("stageVersion", equalTo(3))
                .body("version", equalTo(3));
        refusal(
                service()
                        .body(Map.of("reason", "healthy", "stageVersion", 2))
                        .post("/api/flags/" + key + "/rollout/promote"),
                409,
                "STAGE_CHANGED",
                "began at 3");
        refusal(
                service()
                        .body(Map.of("reason", "healthy", "stageVersion", 3, "skipSoak", true))
                        .post("/api/flags/" + key + "/rollout/promote"),
                403,
                "FORBIDDEN",
                "soak");

        service()
                .body(Map.of("reason", "healthy at 10 %", "stageVersion", 3))
                .post("/api/flags/" + key + "/rollout/promote")
                .then()
                .statusCode(200)
                .body("currentStage", equalTo(2))
                .body("stageVersion", equalTo(4));
        admin().queryParam("flag", key)
                .get("/api/audit")
                .then()
                .body("[0].action", equalTo("PROMOTE"))
                .body("[0].reason", equalTo("healthy at 10 %"))
                .body("[0].fromStage", equalTo(1))
                .body("[0].toStage", equalTo(2));
        // The next stage soaks for an hour: not even the promoter may go on before.
        refusal(
                service()
                        .body(Map.of("reason", "healthy", "stageVersion", 4))
                        .post("/api/flags/" + key + "/rollout/promote"),
                409,
                "SOAK_NOT_ELAPSED",
                "'50%'");
    }

    @Test
    void theSameIdempotencyKeyPromotesOnceAndReplaysTheFirstAnswer() {
        String key = Api.key("idem-promote");
        Api.create(Map.of("key", key, "enabled", true, "stages", PLAN));
        String first = admin().header("Idempotency-Key", "promote-" + key)
                .body(Map.of("reason", "go"))
                .post("/api/flags/" + key + "/rollout/promote")
                .then()
                .statusCode(200)
                .header("ETag", "\"2\"")
                .extract()
                .asString();
        String second = admin().header("Idempotency-Key", "promote-" + key)
                .body(Map.of("reason", "go"))
                .post("/api/flags/" + key + "/rollout/promote")
                .then()
                .statusCode(200)
                .header("ETag", "\"2\"")
                .extract()
                .asString();
        assertThat(second).isEqualTo(first);
        admin().get("/api/flags/" + key).then().body("currentStage", equalTo(0));
        admin().queryParam("flag", key)
                .get("/api/audit")
                .then()
                .body("action", equalTo(List.of("PROMOTE", "CREATE")))
                .body("[0].idempotencyKey", equalTo("promote-" + key));

        // A refused control stores nothing under its key: the same key works once the refusal is lifted.
        refusal(
                admin().header("Idempotency-Key", "retry-" + key)
                        .body(Map.of("reason", "fixed"))
                        .post("/api/flags/" + key + "/rollout/retry"),
                409,
                "NOTHING_TO_RETRY",
                "neither");
        Api.kill(key, "bad");
        for (int i = 0; i < 2; i++) {
            admin().header("Idempotency-Key", "retry-" + key)
                    .body(Map.of("reason", "fixed"))
                    .post("/api/flags/" + key + "/rollout/retry")
                    .then()
                    .statusCode(200)
                    .header("ETag", "\"4\"");
        }
        admin().queryParam("flag", key).get("/api/audit").then().body("$", hasSize(4));
    }

    @Test
    void serviceTokensMayReadAndPauseButNotResumeAbortOrRetry() {
        String key = Api.key("service-rollout");
        Api.create(Map.of("key", key, "enabled", true, "stages", PLAN, "currentStage", 0));
        service().get("/api/flags/" + key + "/rollout").then().statusCode(200);
        service()
                .body(Map.of("reason", "guard"))
                .post("/api/flags/" + key + "/rollout/pause")
                .then()
                .statusCode(200);
        for (String control : List.of("resume", "abort", "retry")) {
            service()
                    .body(Map.of("reason", "x"))
                    .post("/api/flags/" + key + "/rollout/" + control)
                    .then()
                    .statusCode(403);
        }
        // The promoter may promote, but not a paused flag.
        refusal(
                service().body(Map.of("reason", "x")).post("/api/flags/" + key + "/rollout/promote"),
                409,
                "PAUSED",
                "resume it");
        admin().get("/api/flags/nope-" + key + "/rollout")
                .then()
                .statusCode(404)
                .body("code", equalTo("FLAG_NOT_FOUND"));
    }

    @Test
    void eachControlPublishesTheFlagsNewStage() {
        String key = Api.key("published-rollout");
        Api.create(Map.of("key", key, "enabled", true, "stages", PLAN));
        promote(key, "start").then().statusCode(200);
        promote(key, "ten").then().statusCode(200);
        control(key, "abort", "errors").then().statusCode(200);
        control(key, "retry", "fixed").then().statusCode(200);

        FlagChangedEvent promoted = FlagChanges.awaitEvent(key, 3);
        assertThat(promoted.getChangeType()).isEqualTo(FlagChangeType.STAGE_CHANGED);
        assertThat(promoted.getCurrentStage()).isEqualTo(1);
        assertThat(promoted.getRolloutBasisPoints()).isEqualTo(1000);
        assertThat(promoted.getReason()).isEqualTo("ten");
        assertThat(promoted.getStages()).extracting(s -> s.getBasisPoints()).containsExactly(0, 1000, 5000, 10000);

        FlagChangedEvent aborted = FlagChanges.awaitEvent(key, 4);
        assertThat(aborted.getChangeType()).isEqualTo(FlagChangeType.STAGE_CHANGED);
        assertThat(aborted.getEnabled()).isFalse();
        assertThat(aborted.getCurrentStage()).isNull();
        assertThat(aborted.getRolloutBasisPoints()).isZero();
        assertThat(aborted.getReason()).isEqualTo("errors");

        FlagChangedEvent retried = FlagChanges.awaitEvent(key, 5);
        assertThat(retried.getEnabled()).isTrue();
        assertThat(retried.getCurrentStage()).isEqualTo(1);
        assertThat(retried.getRolloutBasisPoints()).isEqualTo(1000);
    }

    @Test
    void stagesWrittenBeforePlansHadMinimumsGetNoneAndManualPromotion() throws Exception {
        String key = Api.key("legacy-plan");
        String legacyStages = "[{\"name\":\"internal\",\"basisPoints\":0,\"minSoakSeconds\":0},"
                + "{\"name\":\"5%\",\"basisPoints\":500,\"minSoakSeconds\":600},"
                + "{\"name\":\"all\",\"basisPoints\":10000,\"minSoakSeconds\":0}]";
        try (Connection db = DriverManager.getConnection(FlagServiceInfra.jdbcUrl(), "postgres", "")) {
            try (PreparedStatement insert = db.prepareStatement("INSERT INTO flags (flag_key, value_type, enabled,"
                    + " allow_list, deny_list, rollout_basis_points, variants, treatment_variant, off_variant, stages,"
                    + " current_stage, stage_entered_at, guard_action, guard_dry_run, guard_cooldown_seconds, version,"
                    + " created_at, updated_at, updated_by) VALUES (?, 'BOOLEAN', TRUE, '[]', '[]', 500,"
                    + " '{\"on\":true,\"off\":false}', 'on', 'off', ?, 1, now(), 'KILL', FALSE, 300, 1, now(), now(),"
                    + " 'v1')")) {
                insert.setString(1, key);
                insert.setString(2, legacyStages);
                insert.executeUpdate();
            }
            // Read even before the migration's rewrite: absent fields take their defaults.
            admin().get("/api/flags/" + key)
                    .then()
                    .statusCode(200)
                    .body("stages[1].minClientsPerCohort", equalTo(0))
                    .body("stages[1].promotion", equalTo("manual"))
                    .body("onMinimumsNotMet.then", equalTo("hold"));

            try (Statement statement = db.createStatement()) {
                statement.executeUpdate(migrationStatement("V2__rollout_plan.sql", "UPDATE flags"));
            }
            try (PreparedStatement query = db.prepareStatement("SELECT stages FROM flags WHERE flag_key = ?")) {
                query.setString(1, key);
                try (ResultSet rs = query.executeQuery()) {
                    assertThat(rs.next()).isTrue();
                    JsonNode stages = new ObjectMapper().readTree(rs.getString(1));
                    assertThat(stages).hasSize(3);
                    assertThat(stages.get(1).path("name").asText()).isEqualTo("5%");
                    assertThat(stages.get(1).path("basisPoints").asInt()).isEqualTo(500);
                    assertThat(stages.get(1).path("minSoakSeconds").asInt()).isEqualTo(600);
                    assertThat(stages.get(1).path("minClientsPerCohort").asInt())
                            .isZero();
                    assertThat(stages.get(1).path("promotion").asText()).isEqualTo("manual");
                }
            }
        }
        promote(key, "after the upgrade").then().statusCode(409).body("code", equalTo("SOAK_NOT_ELAPSED"));
    }

    /** The statement of a migration that starts with {@code prefix}, comment lines left out. */
    private static String migrationStatement(String file, String prefix) throws Exception {
        try (InputStream in = RolloutControlsApiTest.class.getResourceAsStream("/db/migration/" + file)) {
            String sql = new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    .lines()
                    .filter(line -> !line.strip().startsWith("--"))
                    .reduce("", (a, b) -> a + "\n" + b);
            return java.util.Arrays.stream(sql.split(";"))
                    .map(String::strip)
                    .filter(statement -> statement.startsWith(prefix))
                    .findFirst()
                    .orElseThrow();
        }
    }

    private static Map<String, Object> stage(String name, int percentage) {
        return Map.of("name", name, "percentage", percentage);
    }

    private static void invalidPlan(Map<String, Object> fields, String field, String message) {
        Map<String, Object> flag = new java.util.HashMap<>(fields);
        flag.put("key", Api.key("invalid-plan"));
        admin().body(flag)
                .post("/api/flags")
                .then()
                .statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED"))
                .body("violations.field", hasItem(field))
                .body("message", org.hamcrest.Matchers.containsString(message));
    }

    private static Response patch(String key, String ifMatch, Map<String, Object> body) {
        return admin().header("If-Match", ifMatch).body(body).patch("/api/flags/" + key);
    }

    private static Response promote(String key, String reason) {
        return admin().body(Map.of("reason", reason)).post("/api/flags/" + key + "/rollout/promote");
    }

    private static Response control(String key, String control, String reason) {
        return admin().body(Map.of("reason", reason)).post("/api/flags/" + key + "/rollout/" + control);
    }

    private static void refusal(Response response, int status, String code, String mention) {
        response.then()
                .statusCode(status)
                .body("code", equalTo(code))
                .body("message", org.hamcrest.Matchers.containsString(mention));
    }
}
