package dev.rollguard.alert.rest;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.not;

import dev.rollguard.alert.support.AlertTestResource;
import dev.rollguard.alert.support.Api;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Rule CRUD over REST: tokens, the default pack, clear 400s for invalid rules. */
@QuarkusTest
@QuarkusTestResource(AlertTestResource.class)
class RuleResourceTest {

    private static final String VALID =
            """
            {"id": "%s", "name": "Slow table", "metric": "durationMaxMs", "comparator": "GT",
             "warning": {"threshold": 1000}, "critical": {"threshold": 5000, "forSeconds": 60},
             "forSeconds": 120, "keepFiringForSeconds": 300, "minSampleSize": 10,
             "scope": {"types": ["TABLE"], "table": "entries"},
             "labels": {"team": "sync"}, "annotations": {"runbook_url": "https://runbooks.example/slow-table"}}""";

    @Test
    void refusesCallsWithoutAValidToken() {
        given().when()
                .get("/api/rules")
                .then()
                .statusCode(401)
                .contentType(ContentType.JSON)
                .body("code", equalTo("UNAUTHENTICATED"));
        given().header("Authorization", "Bearer not-a-token")
                .when()
                .get("/api/rules")
                .then()
                .statusCode(401)
                .body("code", equalTo("UNAUTHENTICATED"));
    }

    @Test
    void readTokensReadButDoNotWrite() {
        Api.reader().when().get("/api/rules").then().statusCode(200);
        Api.reader()
                .body(VALID.formatted("reader-rule"))
                .when()
                .post("/api/rules")
                .then()
                .statusCode(403)
                .body("code", equalTo("FORBIDDEN"));
    }

    @Test
    void defaultPackIsLoadedOnFirstStart() {
        Api.admin()
                .when()
                .get("/api/rules")
                .then()
                .statusCode(200)
                .body(
                        "id",
                        hasItems(
                                "sync-success-rate",
                                "sync-duration",
                                "storage-usage",
                                "pending-mutations",
                                "failed-mutations",
                                "upload-failure-rate",
                                "quota-exceeded",
                                "sync-queue-length",
                                "error-rate",
                                "guard"));
        Api.admin()
                .when()
                .get("/api/rules/error-rate")
                .then()
                .statusCode(200)
                .body("warning.threshold", equalTo(0.01f))
                .body("warning.forSeconds", equalTo(600))
                .body("critical.threshold", equalTo(0.05f))
                .body("critical.forSeconds", equalTo(300))
                .body("scope.types", not(hasItem("FLAG_COHORT")))
                .body("scope.windowKind", equalTo("TUMBLING"));
        Api.admin()
                .when()
                .get("/api/rules/guard")
                .then()
                .statusCode(200)
                .body("comparator", equalTo("GUARD"))
                .body("metric", equalTo("guard"))
                .body("scope.types", equalTo(java.util.List.of("FLAG_COHORT")))
                .body("confidence", equalTo(0.99f))
                .body("critical.threshold", equalTo(0.2f))
                .body("critical.forSeconds", equalTo(0));
    }

    @Test
    void createsReadsUpdatesAndDeletesARule() {
        Api.admin()
                .body(VALID.formatted("slow-table"))
                .when()
                .post("/api/rules")
                .then()
                .statusCode(201)
                .header("Location", containsString("/api/rules/slow-table"))
                .body("version", equalTo(1))
                .body("warning.forSeconds", equalTo(120))
                .body("critical.forSeconds", equalTo(60))
                .body("noDataPolicy", equalTo("KEEP_STATE"))
                .body("labels.team", equalTo("sync"));
        Api.admin()
                .body(VALID.formatted("slow-table"))
                .when()
                .post("/api/rules")
                .then()
                .statusCode(409)
                .body("code", equalTo("RULE_EXISTS"));
        Api.admin()
                .body(VALID.formatted("slow-table").replace("\"threshold\": 5000", "\"threshold\": 8000"))
                .when()
                .put("/api/rules/slow-table")
                .then()
                .statusCode(200)
                .body("version", equalTo(2))
                .body("critical.threshold", equalTo(8000f));
        Api.admin().when().delete("/api/rules/slow-table").then().statusCode(204);
        Api.admin()
                .when()
                .get("/api/rules/slow-table")
                .then()
                .statusCode(404)
                .contentType(ContentType.JSON)
                .body("code", equalTo("NOT_FOUND"));
    }

    @Test
    void ifMatchKeepsTwoEditorsFromUndoingEachOther() {
        String etag = Api.admin()
                .body(VALID.formatted("two-editors"))
                .when()
                .post("/api/rules")
                .then()
                .statusCode(201)
                .header("ETag", "\"1\"")
                .extract()
                .header("ETag");
        Api.admin().when().get("/api/rules/two-editors").then().statusCode(200).header("ETag", etag);
        // The first editor saves at the version both read.
        Api.admin()
                .header("If-Match", etag)
                .body(VALID.formatted("two-editors").replace("\"threshold\": 5000", "\"threshold\": 8000"))
                .when()
                .put("/api/rules/two-editors")
                .then()
                .statusCode(200)
                .header("ETag", "\"2\"")
                .body("version", equalTo(2));
        // The second, at the version it read, is refused, and the first one's change stays.
        Api.admin()
                .header("If-Match", etag)
                .body(VALID.formatted("two-editors").replace("\"threshold\": 1000", "\"threshold\": 2000"))
                .when()
                .put("/api/rules/two-editors")
                .then()
                .statusCode(412)
                .contentType(ContentType.JSON)
                .body("code", equalTo("PRECONDITION_FAILED"))
                .body("message", containsString("at version 2, not 1"));
        Api.admin()
                .header("If-Match", etag)
                .when()
                .delete("/api/rules/two-editors")
                .then()
                .statusCode(412)
                .body("code", equalTo("PRECONDITION_FAILED"));
        Api.admin()
                .when()
                .get("/api/rules/two-editors")
                .then()
                .statusCode(200)
                .body("version", equalTo(2))
                .body("critical.threshold", equalTo(8000f))
                .body("warning.threshold", equalTo(1000f));
        Api.admin()
                .header("If-Match", "W/\"2\"")
                .when()
                .delete("/api/rules/two-editors")
                .then()
                .statusCode(204);
        Api.admin()
                .header("If-Match", "\"2\"")
                .when()
                .delete("/api/rules/two-editors")
                .then()
                .statusCode(404);
    }

    @Test
    void concurrentCreatesOfOneIdGiveOneRuleAndConflictsNotErrors() throws Exception {
        int requests = 8;
        ExecutorService pool = Executors.newFixedThreadPool(requests);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Integer>> statuses = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                statuses.add(pool.submit(() -> {
                    start.await();
                    return Api.admin()
                            .body(VALID.formatted("raced"))
                            .when()
                            .post("/api/rules")
                            .then()
                            .extract()
                            .statusCode();
                }));
            }
            start.countDown();
            List<Integer> answered = new ArrayList<>();
            for (Future<Integer> status : statuses) {
                answered.add(status.get(60, TimeUnit.SECONDS));
            }
            assertThat(answered).containsOnly(201, 409);
            assertThat(answered).filteredOn(status -> status == 201).hasSize(1);
        } finally {
            pool.shutdownNow();
        }
        Api.admin().when().get("/api/rules/raced").then().statusCode(200).body("version", equalTo(1));
    }

    @Test
    void unknownMetricIsRejectedWithTheKnownOnes() {
        Api.admin()
                .body(VALID.formatted("bad-metric").replace("durationMaxMs", "latency"))
                .when()
                .post("/api/rules")
                .then()
                .statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED"))
                .body("violations.field", hasItem("metric"))
                .body("violations.message", hasItem(containsString("uploadFailureRate")));
    }

    @Test
    void criticalLessStrictThanWarningIsRejected() {
        Api.admin()
                .body(VALID.formatted("inverted").replace("\"threshold\": 5000", "\"threshold\": 500"))
                .when()
                .post("/api/rules")
                .then()
                .statusCode(400)
                .body("violations.field", hasItem("critical.threshold"));
    }

    @Test
    void rateThresholdsArePercentagesAsFractions() {
        String body =
                """
                {"name": "Errors", "metric": "errorRate", "comparator": "GT", "critical": {"threshold": 5}}""";
        Api.admin()
                .body(body)
                .when()
                .post("/api/rules")
                .then()
                .statusCode(400)
                .body("violations.field", hasItem("critical.threshold"))
                .body("violations.message", hasItem(containsString("fractions")));
    }

    @Test
    void missingFieldsAndLevelsAreReported() {
        Api.admin()
                .body("{\"metric\": \"errorRate\", \"comparator\": \"GT\"}")
                .when()
                .post("/api/rules")
                .then()
                .statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED"))
                .body("violations.field", hasItem("name"));
        Api.admin()
                .body("{\"name\": \"No level\", \"metric\": \"errorRate\", \"comparator\": \"GT\"}")
                .when()
                .post("/api/rules")
                .then()
                .statusCode(400)
                .body("violations.field", hasItem("critical"));
    }

    @Test
    void theGuardsLevelsShareOneTolerance() {
        String guard =
                """
                {"name": "Guard", "metric": "guard", "comparator": "GUARD", "warning": {"threshold": %s},
                 "critical": {"threshold": 0.5}, "scope": {"types": ["FLAG_COHORT"], "cohort": "TREATMENT"}}""";
        Api.admin()
                .body(guard.formatted("0.1"))
                .when()
                .post("/api/rules")
                .then()
                .statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED"))
                .body("violations.field", hasItem("warning.threshold"))
                .body("violations.message", hasItem(containsString("must equal the critical threshold")));
        String id = Api.admin()
                .body(guard.formatted("0.5"))
                .when()
                .post("/api/rules")
                .then()
                .statusCode(201)
                .extract()
                .path("id");
        Api.admin().when().delete("/api/rules/" + id).then().statusCode(204);
    }

    @Test
    void comparativeRulesNeedAProportionAndFlagCohorts() {
        String body =
                """
                {"name": "Slower", "metric": "durationP95Ms", "comparator": "WORSE_THAN_CONTROL",
                 "critical": {"threshold": 0.02}, "scope": {"types": ["GLOBAL"]}}""";
        Api.admin()
                .body(body)
                .when()
                .post("/api/rules")
                .then()
                .statusCode(400)
                .body("violations.field", hasItems("metric", "scope.types"));
    }

    @Test
    void malformedJsonAndUnknownSymbolsGetAJsonError() {
        Api.admin()
                .body(VALID.formatted("bad-comparator").replace("\"GT\"", "\"BIGGER\""))
                .when()
                .post("/api/rules")
                .then()
                .statusCode(400)
                .contentType(ContentType.JSON)
                .body("code", equalTo("VALIDATION_FAILED"))
                .body("violations.field", hasItem("comparator"));
        Api.admin()
                .body("{\"name\": ")
                .when()
                .post("/api/rules")
                .then()
                .log()
                .ifValidationFails()
                .statusCode(400)
                .contentType(ContentType.JSON)
                .body("code", equalTo("VALIDATION_FAILED"));
    }
}
