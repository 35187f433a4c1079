package dev.rollguard.flag;

import static dev.rollguard.flag.Api.admin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Creating, reading, changing with If-Match, archiving flags, and the audit rows every change leaves. */
@QuarkusTest
@QuarkusTestResource(FlagServiceInfra.class)
class AdminApiTest {

    @Test
    void theIssuesExampleCreatesABooleanFlagOnForTenPercentAndOneInternalUser() {
        String key = Api.key("offline-recording");
        String etag = Api.create(Map.of(
                "key",
                key,
                "description",
                "Record sessions offline",
                "enabled",
                true,
                "allowList",
                List.of("admin@example.com"),
                "rolloutPercentage",
                10));
        assertThat(etag).isEqualTo("\"1\"");

        admin().get("/api/flags/" + key)
                .then()
                .statusCode(200)
                .header("ETag", "\"1\"")
                .body("key", equalTo(key))
                .body("type", equalTo("BOOLEAN"))
                .body("enabled", equalTo(true))
                .body("killed", equalTo(false))
                .body("rolloutPercentage", equalTo(10.0f))
                .body("allowList", equalTo(List.of("admin@example.com")))
                .body("variants.on", equalTo(true))
                .body("variants.off", equalTo(false))
                .body("treatmentVariant", equalTo("on"))
                .body("offVariant", equalTo("off"))
                .body("guardPolicy.action", equalTo("KILL"))
                .body("version", equalTo(1))
                .body("updatedBy", equalTo("bootstrap-admin"));

        Api.evaluate(key, "admin@example.com")
                .then()
                .statusCode(200)
                .body("value", equalTo(true))
                .body("reason", equalTo("TARGETING_MATCH"));
    }

    @Test
    void aPercentageKeepsItsHundredthsAndRejectsFinerSteps() {
        String key = Api.key("fine");
        Api.create(Map.of("key", key, "enabled", true, "rolloutPercentage", 12.34));
        admin().get("/api/flags/" + key).then().body("rolloutPercentage", equalTo(12.34f));

        admin().body(Map.of("key", Api.key("finer"), "rolloutPercentage", 12.345))
                .post("/api/flags")
                .then()
                .statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED"))
                .body("violations.field", hasItem("rolloutPercentage"));
    }

    @Test
    void invalidFlagsAreRejectedWithTheFieldsAtFault() {
        admin().body(Map.of("key", "Not_Valid", "rolloutPercentage", 101))
                .post("/api/flags")
                .then()
                .statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED"))
                .body("violations.field", hasItem("key"))
                .body("violations.field", hasItem("rolloutPercentage"));
        admin().body(Map.of("key", Api.key("strings"), "type", "STRING"))
                .post("/api/flags")
                .then()
                .statusCode(400)
                .body("violations[0].field", equalTo("variants"));
        admin().body(Map.of(
                        "key", Api.key("typed"), "type", "NUMBER", "variants", Map.of("on", "not a number", "off", 0)))
                .post("/api/flags")
                .then()
                .statusCode(400)
                .body("violations[0].field", equalTo("variants.on"));
        admin().body(Map.of("key", Api.key("orphan"), "parent", "no-such-parent"))
                .post("/api/flags")
                .then()
                .statusCode(400)
                .body("violations[0].field", equalTo("parent"));
        admin().body("{\"key\": ").post("/api/flags").then().statusCode(400).body("code", equalTo("MALFORMED_JSON"));
    }

    @Test
    void aSecondFlagWithTheSameKeyConflicts() {
        String key = Api.key("twice");
        Api.create(Map.of("key", key));
        admin().body(Map.of("key", key))
                .post("/api/flags")
                .then()
                .statusCode(409)
                .body("code", equalTo("FLAG_EXISTS"));
    }

    @Test
    void patchNeedsTheCurrentETagSoNoUpdateIsLost() {
        String key = Api.key("patched");
        String etag = Api.create(Map.of("key", key, "enabled", true, "rolloutPercentage", 5));

        String next = admin().contentType("application/merge-patch+json")
                .header("If-Match", etag)
                .body(Map.of("rolloutPercentage", 50, "description", "half"))
                .patch("/api/flags/" + key)
                .then()
                .statusCode(200)
                .body("rolloutPercentage", equalTo(50.0f))
                .body("description", equalTo("half"))
                .body("enabled", equalTo(true))
                .body("version", equalTo(2))
                .extract()
                .header("ETag");
        assertThat(next).isEqualTo("\"2\"");

        // A second writer still holding version 1 must not overwrite the change.
        admin().header("If-Match", etag)
                .body(Map.of("rolloutPercentage", 1))
                .patch("/api/flags/" + key)
                .then()
                .statusCode(412)
                .body("code", equalTo("PRECONDITION_FAILED"));
        admin().body(Map.of("rolloutPercentage", 1))
                .patch("/api/flags/" + key)
                .then()
                .statusCode(428)
                .body("code", equalTo("PRECONDITION_REQUIRED"));
        admin().header("If-Match", next)
                .body(Map.of("killed", true))
                .patch("/api/flags/" + key)
                .then()
                .statusCode(400)
                .body("violations[0].field", equalTo("killed"));
        admin().get("/api/flags/" + key).then().body("rolloutPercentage", equalTo(50.0f));

        // null removes a member (RFC 7396).
        admin().header("If-Match", next)
                .body("{\"description\": null}")
                .patch("/api/flags/" + key)
                .then()
                .statusCode(200)
                .body("description", nullValue());
    }

    @Test
    void getAnswers304WhenTheClientHasTheCurrentVersion() {
        String key = Api.key("cached");
        String etag = Api.create(Map.of("key", key));
        admin().header("If-None-Match", etag).get("/api/flags/" + key).then().statusCode(304);
        // RFC 9110 §13.1.2: weak comparison, a list of tags, or any version.
        for (String met : List.of("W/" + etag, "\"7\", " + etag, "W/\"7\", W/" + etag, "*")) {
            admin().header("If-None-Match", met)
                    .get("/api/flags/" + key)
                    .then()
                    .statusCode(304)
                    .header("ETag", etag);
        }
        for (String unmet : List.of("\"7\"", "W/\"7\"", "\"7\", \"8\"")) {
            admin().header("If-None-Match", unmet)
                    .get("/api/flags/" + key)
                    .then()
                    .statusCode(200)
                    .body("key", equalTo(key));
        }
        admin().get("/api/flags/no-such-flag").then().statusCode(404).body("code", equalTo("FLAG_NOT_FOUND"));
    }

    @Test
    void archivingKeepsTheFlagButTakesItOutOfListsAndServiceOff() {
        String key = Api.key("archived");
        Api.create(Map.of("key", key, "enabled", true, "rolloutPercentage", 100));
        admin().get("/api/flags").then().body("key", hasItem(key));

        admin().queryParam("reason", "feature shipped")
                .delete("/api/flags/" + key)
                .then()
                .statusCode(200);

        admin().get("/api/flags/" + key).then().statusCode(200).body("archived", equalTo(true));
        admin().get("/api/flags").then().body("key", not(hasItem(key)));
        admin().queryParam("includeArchived", true).get("/api/flags").then().body("key", hasItem(key));
        Api.evaluate(key, "anyone")
                .then()
                .statusCode(200)
                .body("value", equalTo(false))
                .body("reason", equalTo("DISABLED"));
        admin().header("If-Match", "\"2\"")
                .body(Map.of("enabled", false))
                .patch("/api/flags/" + key)
                .then()
                .statusCode(409)
                .body("code", equalTo("FLAG_ARCHIVED"));
    }

    @Test
    void everyChangeLeavesAnAuditRowWithBeforeAfterAndReason() {
        Instant start = Instant.now().minusSeconds(1);
        String key = Api.key("audited");
        String etag = Api.create(Map.of("key", key, "enabled", true));
        admin().header("If-Match", etag)
                .header("X-Rollguard-Actor", "alice@example.com")
                .body(Map.of("rolloutPercentage", 20))
                .patch("/api/flags/" + key)
                .then()
                .statusCode(200);
        admin().body(Map.of("reason", "crash rate up"))
                .post("/api/flags/" + key + "/kill")
                .then()
                .statusCode(200);

        JsonPath audit = admin().queryParam("flag", key)
                .get("/api/audit")
                .then()
                .statusCode(200)
                .body("$", hasSize(3))
                .extract()
                .jsonPath();
        // Newest first.
        assertThat(audit.getList("action")).containsExactly("KILL", "UPDATE", "CREATE");
        assertThat(audit.getString("[0].reason")).isEqualTo("crash rate up");
        assertThat(audit.getBoolean("[0].before.killed")).isFalse();
        assertThat(audit.getBoolean("[0].after.killed")).isTrue();
        assertThat(audit.getString("[1].actor")).isEqualTo("alice@example.com");
        assertThat(audit.getString("[1].tokenName")).isEqualTo("bootstrap-admin");
        assertThat(audit.getFloat("[1].before.rolloutPercentage")).isEqualTo(0f);
        assertThat(audit.getFloat("[1].after.rolloutPercentage")).isEqualTo(20f);
        assertThat(audit.getString("[2].before")).isNull();

        admin().queryParam("actor", "alice@example.com")
                .queryParam("since", start.toString())
                .get("/api/audit")
                .then()
                .body("flagKey", hasItem(key))
                .body("action", not(hasItem("KILL")));
        admin().queryParam("flag", key)
                .queryParam("until", start.toString())
                .get("/api/audit")
                .then()
                .body("$", hasSize(0));
        admin().queryParam("since", "yesterday")
                .get("/api/audit")
                .then()
                .statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED"));
    }
}
