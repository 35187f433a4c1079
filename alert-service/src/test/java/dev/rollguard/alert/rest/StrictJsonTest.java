package dev.rollguard.alert.rest;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.emptyOrNullString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;

import dev.rollguard.alert.support.AlertTestResource;
import dev.rollguard.alert.support.Api;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.response.ValidatableResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A request body is one JSON value with each key once (service-http's StrictJsonSyntax): content after the value, or
 * a key given twice, is 400 {@code VALIDATION_FAILED}, and nothing is stored. Without the rule the first value would be
 * read and the rest ignored, and the last of a repeated key kept. A body read into a request record fails in the REST
 * layer's reader ({@code AlertFailures}), the inbound body in the resource's own parse; both answer in the same words
 * ({@code ValidationMappers.notJson}).
 */
@QuarkusTest
@QuarkusTestResource(AlertTestResource.class)
class StrictJsonTest {

    private static final String RULE =
            """
            {"id": "%s", "name": "Slow table", "metric": "durationMaxMs", "comparator": "GT",
             "warning": {"threshold": 1000}, "critical": {"threshold": 5000, "forSeconds": 60},
             "forSeconds": 120, "keepFiringForSeconds": 300, "minSampleSize": 10,
             "scope": {"types": ["TABLE"], "table": "entries"}}""";

    private static final String INBOUND =
            """
            {"version": "4", "status": "firing", "alerts": [{"status": "firing",
             "labels": {"alertname": "HighErrorRate", "rollguard_flag": "%s"}, "startsAt": "2026-01-01T00:00:00Z"}]}""";

    @Test
    void aRuleWithContentAfterItIsRefusedAndNotStored() {
        for (String body :
                List.of(RULE.formatted("strict-trailing") + " xyz", RULE.formatted("strict-trailing") + " {}")) {
            refused(Api.admin().body(body).post("/api/rules"))
                    .body("message", containsString("body: is not valid JSON"));
        }
        Api.admin().get("/api/rules/strict-trailing").then().statusCode(404);
    }

    @Test
    void aRuleWithARepeatedKeyIsRefusedAndNotStored() {
        String twice = RULE.formatted("strict-repeated")
                .replace("\"name\": \"Slow table\"", "\"name\": \"Slow table\", \"name\": \"Fast table\"");
        refused(Api.admin().body(twice).post("/api/rules")).body("message", containsString("body: is not valid JSON"));
        String nested = RULE.formatted("strict-repeated")
                .replace("\"threshold\": 1000", "\"threshold\": 1000, \"threshold\": 10");
        refused(Api.admin().body(nested).post("/api/rules"));
        Api.admin().get("/api/rules/strict-repeated").then().statusCode(404);
        // The same rule with each key once is created.
        Api.admin()
                .body(RULE.formatted("strict-repeated"))
                .post("/api/rules")
                .then()
                .statusCode(201);
    }

    @Test
    void anInboundAlertBodyIsHeldToTheSameRule() {
        String body = INBOUND.formatted("strict-inbound");
        String repeated = body.replace(
                "\"status\": \"firing\", \"alerts\"", "\"status\": \"firing\", \"status\": \"resolved\", \"alerts\"");
        for (String wrong : List.of(body + " xyz", body + " " + body, repeated)) {
            refused(inbound(wrong))
                    .body("violations[0].field", equalTo("body"))
                    .body("message", containsString("is not valid JSON"));
        }
    }

    @Test
    void aBodyThatIsNotJsonIsAnsweredAlikeWhereverItIsRead() {
        // The rule and the silence are read into request records by the REST layer, the inbound body by its resource.
        // Neither body holds a whole object with a field that a rule or a silence does not have (see below).
        for (String broken : List.of("{\"alerts\": [}", "{} xyz")) {
            Map<String, Object> rule = refused(Api.admin().body(broken).post("/api/rules"))
                    .extract()
                    .jsonPath()
                    .getMap("");
            Map<String, Object> silence = refused(Api.admin().body(broken).post("/api/silences"))
                    .extract()
                    .jsonPath()
                    .getMap("");
            Map<String, Object> inbound =
                    refused(inbound(broken)).extract().jsonPath().getMap("");
            assertThat(rule.get("message")).asString().matches("body: is not valid JSON \\(line \\d+, column \\d+\\)");
            assertThat(rule)
                    .as(broken)
                    .isEqualTo(Map.of(
                            "code",
                            "VALIDATION_FAILED",
                            "message",
                            rule.get("message"),
                            "violations",
                            List.of(Map.of(
                                    "field",
                                    "body",
                                    "message",
                                    ((String) rule.get("message")).substring("body: ".length())))))
                    .isEqualTo(silence)
                    .isEqualTo(inbound);
        }
        // A record is read in one pass: a field it does not have, met before the content after the value, is named.
        refused(Api.admin().body(RULE.formatted("strict-alike") + " xyz").post("/api/silences"))
                .body("violations[0].field", equalTo("id"))
                .body("violations[0].message", startsWith("unknown field; known: matchers,"));
    }

    private static Response inbound(String body) {
        return given().header("Authorization", "Bearer test-inbound-token")
                .contentType(ContentType.JSON)
                .body(body)
                .post("/api/alerts/inbound");
    }

    private static ValidatableResponse refused(Response response) {
        return response.then()
                .statusCode(400)
                .contentType(ContentType.JSON)
                .body("code", equalTo("VALIDATION_FAILED"))
                .body("message", not(emptyOrNullString()));
    }
}
