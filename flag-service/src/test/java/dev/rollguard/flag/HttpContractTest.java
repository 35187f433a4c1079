package dev.rollguard.flag;

import static dev.rollguard.flag.Api.admin;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.nullValue;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What HTTP promises clients beyond the API's own fields: Allow on a 405, a challenge on a 401, If-Match that is never
 * a blank cheque, a PATCH that changes nothing leaving the flag's version alone, no matrix parameters read off a key,
 * and refusals that say what is wrong with a body.
 */
@QuarkusTest
@QuarkusTestResource(FlagServiceInfra.class)
class HttpContractTest {

    @Test
    void aWrongMethodIsAnsweredWithTheMethodsThePathTakes() {
        admin().put("/api/flags/some-flag")
                .then()
                .statusCode(405)
                .contentType(ContentType.JSON)
                .body("code", equalTo("METHOD_NOT_ALLOWED"))
                .header("Allow", allowing("DELETE", "GET", "HEAD", "OPTIONS", "PATCH"));
        Api.client()
                .get("/ofrep/v1/evaluate/flags/some-flag")
                .then()
                .statusCode(405)
                .header("Allow", allowing("OPTIONS", "POST"));
        admin().put("/api/flags").then().statusCode(405).header("Allow", allowing("GET", "HEAD", "OPTIONS", "POST"));
    }

    private static org.hamcrest.Matcher<String> allowing(String... methods) {
        return org.hamcrest.Matchers.anyOf(equalTo(String.join(",", methods)), equalTo(String.join(", ", methods)));
    }

    @Test
    void aRefusedTokenGetsABearerChallenge() {
        given().contentType(ContentType.JSON)
                .body("{}")
                .post("/ofrep/v1/evaluate/flags")
                .then()
                .statusCode(401)
                .header("WWW-Authenticate", equalTo("Bearer realm=\"rollguard\""));
        Api.as("no-such-token")
                .body("{}")
                .post("/ofrep/v1/evaluate/flags")
                .then()
                .statusCode(401)
                .header("WWW-Authenticate", equalTo("Bearer realm=\"rollguard\", error=\"invalid_token\""));
        given().header("X-API-Key", "no-such-token")
                .get("/api/flags")
                .then()
                .statusCode(401)
                .header("WWW-Authenticate", containsString("error=\"invalid_token\""));
    }

    @Test
    void ifMatchStarOnAPatchNamesNoVersionAndChangesNothing() {
        String key = Api.key("star");
        Api.create(Map.of("key", key, "rolloutPercentage", 10));
        admin().header("If-Match", "*")
                .body(Map.of("description", "blind write"))
                .patch("/api/flags/" + key)
                .then()
                .statusCode(412)
                .body("code", equalTo("PRECONDITION_FAILED"));
        admin().get("/api/flags/" + key).then().body("version", equalTo(1)).body("description", nullValue());
        admin().header("If-Match", "*")
                .body(Map.of("description", "x"))
                .patch("/api/flags/" + Api.key("absent"))
                .then()
                .statusCode(404)
                .body("code", equalTo("FLAG_NOT_FOUND"));
    }

    @Test
    void aPatchThatChangesNothingKeepsTheVersionTheAuditAndTheBulkEtag() {
        String key = Api.key("noop");
        Api.create(Map.of(
                "key", key, "enabled", true, "rolloutPercentage", 10, "description", "d", "allowList", List.of()));
        String bulkEtag = Api.client()
                .body("{\"context\":{\"targetingKey\":\"u\"}}")
                .post("/ofrep/v1/evaluate/flags")
                .then()
                .statusCode(200)
                .extract()
                .header("ETag");

        for (String patch : List.of("{}", "{\"description\":\"d\",\"rolloutPercentage\":10}", "{\"allowList\":null}")) {
            admin().header("If-Match", "\"1\"")
                    .body(patch)
                    .patch("/api/flags/" + key)
                    .then()
                    .statusCode(200)
                    .header("ETag", "\"1\"")
                    .body("version", equalTo(1))
                    .body("description", equalTo("d"));
        }
        admin().queryParam("flag", key).get("/api/audit").then().body("$", hasSize(1));
        Api.client()
                .header("If-None-Match", bulkEtag)
                .body("{\"context\":{\"targetingKey\":\"u\"}}")
                .post("/ofrep/v1/evaluate/flags")
                .then()
                .statusCode(304);

        admin().header("If-Match", "\"1\"")
                .body("{\"description\":\"changed\"}")
                .patch("/api/flags/" + key)
                .then()
                .statusCode(200)
                .body("version", equalTo(2));
    }

    @Test
    void aPathWithMatrixParametersActsOnNoFlag() {
        String key = Api.key("matrix");
        Api.create(Map.of("key", key, "enabled", true, "rolloutPercentage", 100));
        Api.client()
                .urlEncodingEnabled(false)
                .body("{}")
                .post("/ofrep/v1/evaluate/flags/" + key + ";b")
                .then()
                .statusCode(404)
                .body("errorCode", equalTo("FLAG_NOT_FOUND"))
                .body("key", equalTo(key + ";b"));
        admin().urlEncodingEnabled(false)
                .get("/api/flags/" + key + ";x=1")
                .then()
                .statusCode(400)
                .body("code", equalTo("INVALID_PARAMETER"))
                .body("message", containsString("';'"));
        admin().urlEncodingEnabled(false)
                .header("If-Match", "\"1\"")
                .body(Map.of("description", "not mine"))
                .patch("/api/flags/" + key + ";x=1")
                .then()
                .statusCode(400);
        admin().get("/api/flags/" + key).then().body("version", equalTo(1));
    }

    @Test
    void anOfrepBodyThatIsNotAnObjectIsAParseError() {
        String key = Api.key("null-body");
        Api.create(Map.of("key", key, "enabled", true, "rolloutPercentage", 100));
        for (String body : List.of("null", "[]", "\"x\"", "1")) {
            Api.client()
                    .body(body)
                    .post("/ofrep/v1/evaluate/flags/" + key)
                    .then()
                    .statusCode(400)
                    .body("errorCode", equalTo("PARSE_ERROR"));
            Api.client()
                    .body(body)
                    .post("/ofrep/v1/evaluate/flags")
                    .then()
                    .statusCode(400)
                    .body("errorCode", equalTo("PARSE_ERROR"));
        }
        // A browser's simple request (no preflight) sends text/plain; OFREP reads the body as JSON whatever its type.
        given().header("Authorization", "Bearer " + Api.CLIENT)
                .contentType("text/plain")
                .body("{\"context\":{\"targetingKey\":\"u\"}}")
                .post("/ofrep/v1/evaluate/flags/" + key)
                .then()
                .statusCode(200)
                .body("value", equalTo(true));
    }

    @Test
    void refusedBodiesSayWhatIsWrongWithThem() {
        String deep = "{\"context\":{\"a\":" + "[".repeat(5000) + "]".repeat(5000) + "}}";
        Api.client()
                .body(deep)
                .post("/ofrep/v1/evaluate/flags")
                .then()
                .statusCode(400)
                .body("errorCode", equalTo("PARSE_ERROR"))
                .body("errorDetails", equalTo("the request body is nested deeper than 1000 levels"));
        admin().body("{\"key\":\"deep\",\"type\":\"JSON\",\"variants\":{\"on\":" + "[".repeat(5000) + "]".repeat(5000)
                        + "}}")
                .post("/api/flags")
                .then()
                .statusCode(400)
                .body("message", containsString("nested deeper than 1000 levels"));

        admin().body("{\"name\":\"" + Api.key("big-rate") + "\",\"kind\":\"CLIENT\",\"requestsPerSecond\":1e12}")
                .post("/api/tokens")
                .then()
                .statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED"))
                .body("message", equalTo("requestsPerSecond must be at most 2147483647"));
        admin().body("{\"name\":\"" + Api.key("big-rate") + "\",\"kind\":\"CLIENT\",\"requestsPerSecond\":99999999999}")
                .post("/api/tokens")
                .then()
                .statusCode(400)
                .body("message", equalTo("requestsPerSecond must be at most 2147483647"));

        byte[] latin1 = ("{\"key\":\"" + Api.key("latin") + "\",\"description\":\"caf\u00e9\"}")
                .getBytes(StandardCharsets.ISO_8859_1);
        String answer = admin().body(latin1)
                .post("/api/flags")
                .then()
                .statusCode(400)
                .body("code", equalTo("MALFORMED_JSON"))
                .extract()
                .path("message");
        assertThat(answer).startsWith("the body is not valid UTF-8");
        Api.client()
                .body("{\"context\":{\"targetingKey\":\"caf\u00e9\"}}".getBytes(StandardCharsets.ISO_8859_1))
                .post("/ofrep/v1/evaluate/flags")
                .then()
                .statusCode(400)
                .body("errorDetails", equalTo("the request body is not valid UTF-8"));
    }
}
