package dev.rollguard.flag;

import static dev.rollguard.flag.Api.admin;
import static dev.rollguard.flag.Api.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.nullValue;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Kill and un-kill, rollout stages, pause and resume, what service tokens may do, and Idempotency-Key. */
@QuarkusTest
@QuarkusTestResource(FlagServiceInfra.class)
class KillAndStageTest {

    private static final List<Map<String, Object>> PLAN = List.of(
            Map.of("name", "internal", "percentage", 0, "minSoakSeconds", 0),
            Map.of("name", "5%", "percentage", 5, "minSoakSeconds", 0),
            Map.of("name", "50%", "percentage", 50, "minSoakSeconds", 3600),
            Map.of("name", "100%", "percentage", 100, "minSoakSeconds", 0));

    @Test
    void killServesTheOffValueAndOnlyAnExplicitUnkillUndoesIt() {
        String key = Api.key("killable");
        Api.create(Map.of("key", key, "enabled", true, "rolloutPercentage", 100));
        Api.evaluate(key, "u1").then().body("value", equalTo(true));

        admin().body(Map.of("reason", "errors up 40%"))
                .post("/api/flags/" + key + "/kill")
                .then()
                .statusCode(200)
                .header("ETag", "\"2\"")
                .body("killed", equalTo(true))
                .body("killReason", equalTo("errors up 40%"));
        Api.evaluate(key, "u1")
                .then()
                .statusCode(200)
                .body("value", equalTo(false))
                .body("variant", equalTo("off"))
                .body("reason", equalTo("DISABLED"));

        // Killing a killed flag keeps the flag as it is; the new reason goes to the audit log.
        admin().body(Map.of("reason", "again"))
                .post("/api/flags/" + key + "/kill")
                .then()
                .statusCode(200)
                .body("version", equalTo(2))
                .body("killReason", equalTo("errors up 40%"));
        admin().body(Map.of()).post("/api/flags/" + key + "/kill").then().statusCode(400);

        admin().body(Map.of("reason", "fixed in 2.3.1"))
                .post("/api/flags/" + key + "/unkill")
                .then()
                .statusCode(200)
                .body("killed", equalTo(false))
                .body("killReason", nullValue());
        Api.evaluate(key, "u1").then().body("value", equalTo(true));
        admin().queryParam("flag", key)
                .get("/api/audit")
                .then()
                .body("$", hasSize(4))
                .body("[1].action", equalTo("KILL"))
                .body("[1].reason", equalTo("again"));
    }

    @Test
    void theSameIdempotencyKeyKillsOnceAndReplaysTheFirstAnswer() {
        String key = Api.key("idempotent");
        Api.create(Map.of("key", key, "enabled", true, "rolloutPercentage", 50));
        String idempotencyKey = "fp-" + key + ":1700000000000";

        String first = service()
                .header("Idempotency-Key", idempotencyKey)
                .body(Map.of("reason", "alert crash-rate critical"))
                .post("/api/flags/" + key + "/kill")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        // The flag is un-killed meanwhile: a replay must not kill it again.
        admin().body(Map.of("reason", "false alarm")).post("/api/flags/" + key + "/unkill");
        String second = service()
                .header("Idempotency-Key", idempotencyKey)
                .body(Map.of("reason", "alert crash-rate critical"))
                .post("/api/flags/" + key + "/kill")
                .then()
                .statusCode(200)
                .header("ETag", "\"2\"")
                .extract()
                .asString();

        assertThat(second).isEqualTo(first);
        admin().get("/api/flags/" + key).then().body("killed", equalTo(false)).body("version", equalTo(3));
        var audit = admin().queryParam("flag", key)
                .queryParam("actor", "bootstrap-service")
                .get("/api/audit");
        audit.then().body("$", hasSize(1)).body("[0].action", equalTo("KILL"));
        audit.then().body("[0].idempotencyKey", equalTo(idempotencyKey));
    }

    @Test
    void anIdempotencyKeyAnswersOnlyTheRequestItWasFirstSentWith() {
        String first = Api.key("first");
        String other = Api.key("other");
        Api.create(Map.of("key", first, "enabled", true, "rolloutPercentage", 50));
        Api.create(Map.of("key", other, "enabled", true, "rolloutPercentage", 50));
        String idempotencyKey = "fp-" + first + ":1700000000000";
        Map<String, Object> reason = Map.of("reason", "alert crash-rate critical");

        String answer = service()
                .header("Idempotency-Key", idempotencyKey)
                .body(reason)
                .post("/api/flags/" + first + "/kill")
                .then()
                .statusCode(200)
                .extract()
                .asString();

        // Another flag, another body, another endpoint: refused, and nothing done.
        service()
                .header("Idempotency-Key", idempotencyKey)
                .body(reason)
                .post("/api/flags/" + other + "/kill")
                .then()
                .statusCode(422)
                .body("code", equalTo("IDEMPOTENCY_KEY_REUSED"))
                .body("message", containsString("POST /api/flags/" + first + "/kill"));
        service()
                .header("Idempotency-Key", idempotencyKey)
                .body(Map.of("reason", "another alert"))
                .post("/api/flags/" + first + "/kill")
                .then()
                .statusCode(422)
                .body("code", equalTo("IDEMPOTENCY_KEY_REUSED"))
                .body("message", containsString("another body"));
        service()
                .header("Idempotency-Key", idempotencyKey)
                .body(reason)
                .post("/api/flags/" + first + "/pause")
                .then()
                .statusCode(422)
                .body("code", equalTo("IDEMPOTENCY_KEY_REUSED"));
        admin().get("/api/flags/" + other).then().body("killed", equalTo(false)).body("version", equalTo(1));
        admin().get("/api/flags/" + first).then().body("paused", equalTo(false)).body("version", equalTo(2));

        // The same request again (a retry, however the header is spelled) gets the first answer.
        service()
                .header("idempotency-key", idempotencyKey)
                .body(reason)
                .post("/api/flags/" + first + "/kill")
                .then()
                .statusCode(200)
                .header("ETag", "\"2\"")
                .body(equalTo(answer));
        // Keys are per token: the admin token's own use of it is a request of its own.
        admin().header("Idempotency-Key", idempotencyKey)
                .body(reason)
                .post("/api/flags/" + other + "/kill")
                .then()
                .statusCode(200)
                .body("killed", equalTo(true));
    }

    @Test
    void stagesAdvanceRevertAndSetWithinThePlan() {
        String key = Api.key("staged");
        Api.create(Map.of("key", key, "enabled", true, "stages", PLAN, "allowList", List.of("dev@example.com")));

        stage(key, "advance")
                .then()
                .statusCode(200)
                .body("currentStage", equalTo(0))
                .body("rolloutPercentage", equalTo(0f));
        stage(key, "advance")
                .then()
                .statusCode(200)
                .body("currentStage", equalTo(1))
                .body("rolloutPercentage", equalTo(5f));
        stage(key, "advance")
                .then()
                .statusCode(200)
                .body("currentStage", equalTo(2))
                .body("rolloutPercentage", equalTo(50f));
        // Stage 2 soaks an hour before advancing; an admin may still set any stage.
        stage(key, "advance").then().statusCode(409).body("code", equalTo("SOAK_NOT_ELAPSED"));
        admin().body(Map.of("action", "set", "stage", 3, "reason", "go"))
                .post("/api/flags/" + key + "/stage")
                .then()
                .statusCode(200)
                .body("rolloutPercentage", equalTo(100f));
        stage(key, "advance").then().statusCode(409).body("code", equalTo("LAST_STAGE"));
        admin().body(Map.of("action", "set", "stage", 7))
                .post("/api/flags/" + key + "/stage")
                .then()
                .statusCode(409)
                .body("code", equalTo("NO_STAGE"));

        service()
                .body(Map.of("action", "revert", "reason", "alert"))
                .post("/api/flags/" + key + "/stage")
                .then()
                .statusCode(200)
                .body("currentStage", equalTo(2))
                .body("rolloutPercentage", equalTo(50f));
        Api.evaluate(key, "dev@example.com").then().body("reason", equalTo("TARGETING_MATCH"));
    }

    @Test
    void aStageMoveDecidedOnAnEarlierStageIsRefused() {
        String key = Api.key("moved-meanwhile");
        Api.create(Map.of("key", key, "enabled", true, "stages", PLAN, "currentStage", 2));
        int shown = admin().get("/api/flags/" + key).then().extract().path("stageVersion");
        // The page showed the stage begun at `shown`; someone else moves the flag meanwhile.
        admin().body(Map.of("action", "set", "stage", 3, "reason", "go"))
                .post("/api/flags/" + key + "/stage")
                .then()
                .statusCode(200);

        for (String action : List.of("revert", "set", "advance")) {
            Map<String, Object> body = new java.util.HashMap<>(Map.of("action", action, "reason", "from the page"));
            body.put("stageVersion", shown);
            if ("set".equals(action)) {
                body.put("stage", 1);
            }
            admin().body(body)
                    .post("/api/flags/" + key + "/stage")
                    .then()
                    .statusCode(409)
                    .body("code", equalTo("STAGE_CHANGED"))
                    .body("message", containsString("began at " + (shown + 1)));
        }
        service()
                .body(Map.of("action", "revert", "reason", "alert on stage 2", "stageVersion", shown))
                .post("/api/flags/" + key + "/stage")
                .then()
                .statusCode(409)
                .body("code", equalTo("STAGE_CHANGED"));
        admin().get("/api/flags/" + key).then().body("currentStage", equalTo(3));

        admin().body(Map.of("action", "revert", "reason", "on the stage in force", "stageVersion", shown + 1))
                .post("/api/flags/" + key + "/stage")
                .then()
                .statusCode(200)
                .body("currentStage", equalTo(2));
        admin().body(Map.of("action", "revert", "stageVersion", 0))
                .post("/api/flags/" + key + "/stage")
                .then()
                .statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED"));
    }

    @Test
    void aPausedRolloutHoldsItsShareUntilResumed() {
        String key = Api.key("paused");
        Api.create(Map.of("key", key, "enabled", true, "stages", PLAN, "currentStage", 1));
        service()
                .body(Map.of("reason", "investigating"))
                .post("/api/flags/" + key + "/pause")
                .then()
                .statusCode(200)
                .body("paused", equalTo(true))
                .body("rolloutPercentage", equalTo(5f));
        stage(key, "advance").then().statusCode(409).body("code", equalTo("PAUSED"));
        admin().body(Map.of("reason", "ok"))
                .post("/api/flags/" + key + "/resume")
                .then()
                .body("paused", equalTo(false));
        stage(key, "advance").then().statusCode(200).body("currentStage", equalTo(2));
    }

    @Test
    void aFlagWithoutAPlanHasNoStageToRevertTo() {
        String key = Api.key("unplanned");
        Api.create(Map.of("key", key, "enabled", true));
        service()
                .body(Map.of("action", "revert"))
                .post("/api/flags/" + key + "/stage")
                .then()
                .statusCode(409)
                .body("code", equalTo("NO_STAGE"));
    }

    @Test
    void serviceTokensMayOnlyReadKillRevertAndPause() {
        String key = Api.key("service-rights");
        Api.create(Map.of("key", key, "enabled", true, "stages", PLAN));
        service().get("/api/flags/" + key).then().statusCode(200);
        service()
                .body(Map.of("action", "advance"))
                .post("/api/flags/" + key + "/stage")
                .then()
                .statusCode(403);
        service()
                .body(Map.of("reason", "x"))
                .post("/api/flags/" + key + "/unkill")
                .then()
                .statusCode(403);
        service().body(Map.of()).post("/api/flags/" + key + "/resume").then().statusCode(403);
        service()
                .body(Map.of("key", Api.key("by-service")))
                .post("/api/flags")
                .then()
                .statusCode(403);
        service()
                .header("If-Match", "\"1\"")
                .body(Map.of("enabled", false))
                .patch("/api/flags/" + key)
                .then()
                .statusCode(403)
                .body("code", equalTo("FORBIDDEN"));
        service().delete("/api/flags/" + key).then().statusCode(403);
        service().body(Map.of("reason", "x")).post("/api/kill-switch").then().statusCode(403);
        service().get("/api/audit").then().statusCode(403);
    }

    private static io.restassured.response.Response stage(String key, String action) {
        return admin().body(Map.of("action", action)).post("/api/flags/" + key + "/stage");
    }
}
