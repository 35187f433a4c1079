package dev.rollguard.flag;

import static dev.rollguard.flag.Api.admin;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;

/**
 * A field the admin API does not know is refused, not dropped: {@code "rolloutPercent": 50} would otherwise change
 * nothing and be answered 200. The OFREP endpoints stay lenient, as a provider may send what a later protocol adds.
 */
@QuarkusTest
@QuarkusTestResource(FlagServiceInfra.class)
class UnknownFieldsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aCreateWithAnUnknownFieldIsRefusedAndStoresNothing() {
        String key = Api.key("typo-create");
        admin().body(Map.of("key", key, "enabled", true, "rolloutPercent", 50))
                .post("/api/flags")
                .then()
                .statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED"))
                .body("violations.size()", equalTo(1))
                .body("violations[0].field", equalTo("rolloutPercent"))
                .body("violations[0].message", startsWith("unknown field; known: key, description, owner,"))
                .body("violations[0].message", containsString("rolloutPercentage"))
                .body("message", startsWith("rolloutPercent unknown field"));

        admin().get("/api/flags/" + key).then().statusCode(404);
        admin().queryParam("flag", key).get("/api/audit").then().statusCode(200).body("size()", equalTo(0));
    }

    @Test
    void unknownNestedFieldsAreNamedWithTheirPath() {
        Map<String, Object> stage = Map.of("name", "ten", "percentage", 10);
        Map<String, Object> constraint = Map.of("attribute", "country", "operator", "IN", "values", List.of("NZ"));
        Map<String, String> cases = Map.of(
                "stages[1].percent",
                "{\"stages\": [" + json(stage) + ", {\"name\": \"fifty\", \"percent\": 50}]}",
                "rules[0].constraints[0].negated",
                "{\"rules\": [{\"id\": \"nz\", \"constraints\": [{\"attribute\": \"country\","
                        + " \"operator\": \"IN\", \"values\": [\"NZ\"], \"negated\": true}]}]}",
                "rules[0].percentage",
                "{\"rules\": [{\"id\": \"nz\", \"percentage\": 5}]}",
                "variantWeights[0].wieght",
                "{\"variants\": {\"on\": true, \"off\": false}, \"variantWeights\": [{\"variant\": \"on\","
                        + " \"wieght\": 100}]}",
                "guardPolicy.actoin",
                "{\"guardPolicy\": {\"actoin\": \"PAUSE\"}}",
                "onMinimumsNotMet.than",
                "{\"onMinimumsNotMet\": {\"than\": \"revert\"}}");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            String key = Api.key("typo-nested");
            String body = "{\"key\": \"" + key + "\", " + c.getValue().substring(1);
            admin().body(body)
                    .post("/api/flags")
                    .then()
                    .statusCode(400)
                    .body("code", equalTo("VALIDATION_FAILED"))
                    .body("violations[0].field", equalTo(c.getKey()))
                    .body("violations[0].message", startsWith("unknown field; known: "));
            admin().get("/api/flags/" + key).then().statusCode(404);
        }

        // The same through a segment and a preview, which share the constraint and rule records.
        String segment = Api.key("typo-segment");
        admin().body(Map.of("key", segment, "constraints", List.of(Map.of("attribute", "a", "operater", "IN"))))
                .post("/api/segments")
                .then()
                .statusCode(400)
                .body("violations[0].field", equalTo("constraints[0].operater"))
                .body("violations[0].message", startsWith("unknown field; known: attribute, operator, values,"));
        admin().get("/api/segments/" + segment).then().statusCode(404);
        admin().queryParam("segment", segment).get("/api/audit").then().body("size()", equalTo(0));
        String flag = Api.key("typo-preview");
        Api.create(Map.of("key", flag));
        admin().body(Map.of(
                        "context", Map.of(), "rules", List.of(Map.of("id", "r", "constraint", List.of(constraint)))))
                .post("/api/flags/" + flag + "/preview")
                .then()
                .statusCode(400)
                .body("violations[0].field", equalTo("rules[0].constraint"));
    }

    @Test
    void aPatchWithAnUnknownFieldChangesNothing() {
        String key = Api.key("typo-patch");
        Api.create(Map.of(
                "key",
                key,
                "rolloutPercentage",
                10,
                "stages",
                List.of(),
                "guardPolicy",
                Map.of("action", "KILL"),
                "allowList",
                List.of("alice")));

        Map<String, String> cases = Map.of(
                "rolloutPercent", "{\"rolloutPercent\": 50}",
                "allowlist", "{\"allowlist\": [\"bob\"]}",
                "guardPolicy.actoin", "{\"guardPolicy\": {\"actoin\": \"NOTIFY_ONLY\"}}",
                "stages[0].percent", "{\"stages\": [{\"name\": \"all\", \"percentage\": 100, \"percent\": 5}]}",
                "rules[0].variantt", "{\"rules\": [{\"id\": \"r\", \"variantt\": \"on\"}]}");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            admin().contentType("application/merge-patch+json")
                    .header("If-Match", "\"1\"")
                    .body(c.getValue())
                    .patch("/api/flags/" + key)
                    .then()
                    .statusCode(400)
                    .body("code", equalTo("VALIDATION_FAILED"))
                    .body("violations[0].field", equalTo(c.getKey()))
                    .body("violations[0].message", startsWith("unknown field; known: "));
        }
        // A field of the flag that PATCH cannot write keeps its own message.
        admin().header("If-Match", "\"1\"")
                .body(Map.of("killed", true))
                .patch("/api/flags/" + key)
                .then()
                .statusCode(400)
                .body("violations[0].field", equalTo("killed"))
                .body("violations[0].message", startsWith("cannot be changed by PATCH"));

        admin().get("/api/flags/" + key)
                .then()
                .body("version", equalTo(1))
                .body("rolloutPercentage", equalTo(10.0f))
                .body("allowList", equalTo(List.of("alice")))
                .body("guardPolicy.action", equalTo("KILL"));
        admin().queryParam("flag", key).get("/api/audit").then().body("size()", equalTo(1));
    }

    @Test
    void actionsAndTokensWithAnUnknownFieldAreRefused() {
        String key = Api.key("typo-actions");
        Api.create(Map.of("key", key, "enabled", true, "rolloutPercentage", 10));

        refused(admin().body(Map.of("reason", "incident", "force", true)).post("/api/flags/" + key + "/kill"), "force");
        refused(
                admin().body(Map.of("reason", "INC-7", "skipsoak", true))
                        .post("/api/flags/" + key + "/rollout/promote"),
                "skipsoak");
        refused(admin().body(Map.of("action", "set", "stag", 2)).post("/api/flags/" + key + "/stage"), "stag");
        refused(admin().body(Map.of("reasons", "looking")).post("/api/flags/" + key + "/pause"), "reasons");
        admin().get("/api/flags/" + key)
                .then()
                .body("version", equalTo(1))
                .body("killed", equalTo(false))
                .body("paused", equalTo(false));
        admin().queryParam("flag", key).get("/api/audit").then().body("size()", equalTo(1));

        refused(admin().body(Map.of("reason", "outage", "scope", "all")).post("/api/kill-switch"), "scope");
        admin().get("/api/kill-switch").then().body("killed", equalTo(false));

        String token = Api.key("typo-token");
        refused(
                admin().body(Map.of("name", token, "kind", "CLIENT", "requestPerSecond", 5))
                        .post("/api/tokens"),
                "requestPerSecond");
        admin().get("/api/tokens").then().body("name", not(hasItem(token)));

        // Refused before anything is stored under the Idempotency-Key: the corrected request is performed.
        admin().header("Idempotency-Key", "typo-" + key)
                .body(Map.of("reason", "incident", "force", true))
                .post("/api/flags/" + key + "/kill")
                .then()
                .statusCode(400);
        admin().header("Idempotency-Key", "typo-" + key)
                .body(Map.of("reason", "incident"))
                .post("/api/flags/" + key + "/kill")
                .then()
                .statusCode(200)
                .body("killed", equalTo(true));
    }

    /** Every write of the admin API with a body, found in the OpenAPI document, refuses an unknown field. */
    @Test
    void everyAdminBodyRefusesAnUnknownField() throws Exception {
        String key = Api.key("typo-every");
        Api.create(Map.of("key", key, "enabled", true));
        JsonNode openApi = JSON.readTree(
                given().accept("application/json").get("/q/openapi").asString());
        List<String> checked = new ArrayList<>();
        SoftAssertions softly = new SoftAssertions();
        for (Iterator<Map.Entry<String, JsonNode>> paths = openApi.path("paths").fields(); paths.hasNext(); ) {
            Map.Entry<String, JsonNode> path = paths.next();
            if (!path.getKey().startsWith("/api/")) {
                continue;
            }
            for (String method : List.of("post", "put", "patch")) {
                JsonNode operation = path.getValue().get(method);
                if (operation == null || !operation.has("requestBody")) {
                    continue;
                }
                String what = method.toUpperCase() + " " + path.getKey();
                checked.add(what);
                String url = path.getKey().replace("{key}", key);
                Response response = admin().header("If-Match", "\"1\"")
                        .body("{\"noSuchField\": 1}")
                        .request(method.toUpperCase(), url);
                softly.assertThat(response.statusCode()).as(what).isEqualTo(400);
                softly.assertThat(response.jsonPath().getString("code"))
                        .as(what)
                        .isEqualTo("VALIDATION_FAILED");
                softly.assertThat(response.jsonPath().getString("violations[0].field"))
                        .as(what)
                        .isEqualTo("noSuchField");
                softly.assertThat(response.jsonPath().getString("violations[0].message"))
                        .as(what)
                        .startsWith("unknown field; known: ");
            }
        }
        softly.assertAll();
        assertThat(checked)
                .contains(
                        "POST /api/flags",
                        "PATCH /api/flags/{key}",
                        "POST /api/flags/{key}/kill",
                        "POST /api/flags/{key}/unkill",
                        "POST /api/flags/{key}/stage",
                        "POST /api/flags/{key}/pause",
                        "POST /api/flags/{key}/resume",
                        "POST /api/flags/{key}/preview",
                        "POST /api/flags/{key}/rollout/promote",
                        "POST /api/flags/{key}/rollout/pause",
                        "POST /api/flags/{key}/rollout/resume",
                        "POST /api/flags/{key}/rollout/abort",
                        "POST /api/flags/{key}/rollout/retry",
                        "POST /api/segments",
                        "PUT /api/segments/{key}",
                        "POST /api/kill-switch",
                        "POST /api/tokens");
        admin().get("/api/flags/" + key).then().body("version", equalTo(1));
    }

    @Test
    void ofrepRequestsWithFieldsItDoesNotKnowAreStillAnswered() {
        String key = Api.key("ofrep-extra");
        Api.create(Map.of("key", key, "enabled", true, "rolloutPercentage", 100, "stages", List.of()));
        await().atMost(Duration.ofSeconds(15))
                .until(() -> Api.evaluate(key, "u1").statusCode() == 200);

        String body = "{\"context\": {\"targetingKey\": \"u1\", \"plan\": {\"tier\": \"gold\"}},"
                + " \"fieldOfALaterProtocol\": {\"x\": 1}}";
        Api.client()
                .body(body)
                .post("/ofrep/v1/evaluate/flags/" + key)
                .then()
                .statusCode(200)
                .body("value", equalTo(true));
        Api.client()
                .body(body)
                .post("/ofrep/v1/evaluate/flags")
                .then()
                .statusCode(200)
                .body("flags.find { it.key == '" + key + "' }.value", equalTo(true));
    }

    private static void refused(Response response, String field) {
        response.then()
                .statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED"))
                .body("violations[0].field", equalTo(field))
                .body("violations[0].message", startsWith("unknown field; known: "));
    }

    private static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
