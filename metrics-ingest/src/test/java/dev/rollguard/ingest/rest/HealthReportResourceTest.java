package dev.rollguard.ingest.rest;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.startsWith;

import dev.rollguard.infra.InfraTestResource;
import dev.rollguard.ingest.EventClock;
import dev.rollguard.ingest.TestTokens;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.hamcrest.CustomTypeSafeMatcher;
import org.hamcrest.Matcher;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** GET /api/health-report, served from the window store by interactive queries, in JSON and as boxed text. */
@QuarkusTest
@QuarkusTestResource(
        value = InfraTestResource.class,
        initArgs = @ResourceArg(name = InfraTestResource.KAFKA_STREAMS, value = "true"))
class HealthReportResourceTest {

    String table;
    Instant start;

    /** JSON numbers arrive as floats in RestAssured; compare them as doubles within a tolerance. */
    static Matcher<Number> near(double expected, double tolerance) {
        return new CustomTypeSafeMatcher<>("a number within " + tolerance + " of " + expected) {
            @Override
            protected boolean matchesSafely(Number actual) {
                return Math.abs(actual.doubleValue() - expected) <= tolerance;
            }
        };
    }

    static Map<String, Object> sync(String table, Instant at, boolean success, long durationMs) {
        Map<String, Object> event = new HashMap<>();
        event.put("type", "sync");
        event.put("eventId", UUID.randomUUID().toString());
        event.put("eventTime", at.toEpochMilli());
        event.put("clientId", "report-client-" + durationMs);
        event.put("platform", "WEB");
        event.put("table", table);
        event.put("success", success);
        event.put("durationMs", durationMs);
        event.put("storageUsedBytes", 12L * 1024 * 1024);
        event.put("storageQuotaBytes", 256L * 1024 * 1024);
        event.put("pendingMutations", 7);
        event.put("failedMutations", 1);
        if (!success) {
            event.put("errorCode", "TIMEOUT");
            event.put("errorMessage", "sync timed out after 30s");
        }
        return event;
    }

    @BeforeEach
    void postTelemetry() {
        Awaitility.await()
                .atMost(Duration.ofSeconds(60))
                .untilAsserted(
                        () -> given().when().get("/q/health/ready").then().statusCode(200));
        table = "report-" + UUID.randomUUID();
        start = EventClock.start();
        given().header("Authorization", TestTokens.PRODUCER)
                .contentType(ContentType.JSON)
                .body(Map.of(
                        "events",
                        List.of(
                                sync(table, start, true, 1000),
                                sync(table, start, true, 2000),
                                sync(table, start, false, 3000))))
                .when()
                .post("/api/telemetry")
                .then()
                .statusCode(200)
                .body("accepted", equalTo(3));
    }

    @Test
    void jsonReportOfATable() {
        Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().header(
                        "Authorization", TestTokens.ADMIN)
                .queryParam("table", table)
                .queryParam("from", start.minusSeconds(60).toString())
                .queryParam("to", start.plusSeconds(60).toString())
                .when()
                .get("/api/health-report")
                .then()
                .statusCode(200)
                .contentType(ContentType.JSON)
                .body("scope", equalTo("table " + table))
                .body("totalSyncs", equalTo(3))
                .body("successfulSyncs", equalTo(2))
                .body("failedSyncs", equalTo(1))
                .body("successRate", near(66.67, 0.01))
                .body("avgDurationMs", near(2000.0, 0.001))
                .body("maxDurationMs", near(3000.0, 0.001))
                .body("minDurationMs", near(1000.0, 0.001))
                .body("storageUsedMB", near(12.0, 0.001))
                .body("storageQuotaMB", near(256.0, 0.001))
                .body("storageUsagePercent", near(4.6875, 0.0001))
                .body("pendingMutations", equalTo(7))
                .body("failedMutations", equalTo(1))
                .body("distinctClients", equalTo(3))
                .body("recentErrors", hasSize(1))
                .body("recentErrors[0].code", equalTo("TIMEOUT"))
                .body("recentErrors[0].tableName", equalTo(table)));
    }

    @Test
    void boxedTextReportWithAcceptTextPlain() {
        Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().header(
                        "Authorization", TestTokens.ADMIN)
                .accept(ContentType.TEXT)
                .queryParam("table", table)
                .queryParam("from", start.minusSeconds(60).toString())
                .when()
                .get("/api/health-report")
                .then()
                .statusCode(200)
                .contentType(startsWith("text/plain"))
                .body(startsWith("╔"))
                .body(containsString("REPLICATION SYSTEM HEALTH REPORT"))
                .body(containsString("║   Total Syncs:      3 "))
                .body(containsString("║   Successful:       2 "))
                .body(containsString("║   Success Rate:     66.67%"))
                .body(containsString("║   Avg Duration:     2000ms"))
                .body(containsString("║   Used:             12.00 MB"))
                .body(containsString("║   Quota:            256.00 MB"))
                .body(containsString("║ Recent Errors:      1 "))
                .body(containsString("╚")));
    }

    @Test
    void badFiltersAndMissingTokensAreRefusedWithJsonErrors() {
        given().header("Authorization", TestTokens.ADMIN)
                .queryParam("flag", "f")
                .queryParam("table", "t")
                .when()
                .get("/api/health-report")
                .then()
                .statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED"));
        given().header("Authorization", TestTokens.ADMIN)
                .queryParam("from", "yesterday")
                .when()
                .get("/api/health-report")
                .then()
                .statusCode(400)
                .body("violations[0].field", equalTo("from"));
        given().header("Authorization", TestTokens.PRODUCER)
                .when()
                .get("/api/health-report")
                .then()
                .statusCode(403)
                .body("code", equalTo("FORBIDDEN"));
        given().when()
                .get("/api/health-report")
                .then()
                .statusCode(401)
                .header("WWW-Authenticate", equalTo("Bearer realm=\"rollguard\""))
                .body("code", equalTo("UNAUTHENTICATED"));
        given().header("Authorization", "Bearer nope")
                .when()
                .get("/api/health-report")
                .then()
                .statusCode(401)
                .header("WWW-Authenticate", equalTo("Bearer realm=\"rollguard\", error=\"invalid_token\""));
    }

    /** The report is JSON or text: a client asking for anything else is told both. */
    @Test
    void anUnservedMediaTypeIs406NamingBothItAnswers() {
        // With a trailing slash the path is the same resource, which answers the same types.
        for (String path : List.of("/api/health-report", "/api/health-report/")) {
            given().header("Authorization", TestTokens.ADMIN)
                    .accept("application/xml")
                    .when()
                    .get(path)
                    .then()
                    .statusCode(406)
                    .contentType(ContentType.JSON)
                    .body("code", equalTo("NOT_ACCEPTABLE"))
                    .body("message", containsString("application/json"))
                    .body("message", containsString("text/plain"));
        }
    }

    /** Instants the window store cannot hold (it keeps epoch milliseconds) are refused, naming the parameter. */
    @Test
    void instantsOutsideTheStoresRangeAre400NamingTheParameter() {
        Map<String, Map<String, String>> wrong = Map.of(
                "from",
                Map.of("from", "+300000000-01-01T00:00:00Z", "to", "+300000000-01-01T01:00:00Z"),
                "to",
                Map.of("from", start.toString(), "to", "+300000000-01-01T00:00:00Z"));
        wrong.forEach((field, query) -> given().header("Authorization", TestTokens.ADMIN)
                .queryParams(query)
                .when()
                .get("/api/health-report")
                .then()
                .statusCode(400)
                .contentType(ContentType.JSON)
                .body("code", equalTo("VALIDATION_FAILED"))
                .body("violations[0].field", equalTo(field)));
        for (String instant : List.of("-300000000-01-01T00:00:00Z", "1969-12-31T23:59:59Z", "9223372036854775807")) {
            given().header("Authorization", TestTokens.ADMIN)
                    .queryParam("from", instant)
                    .when()
                    .get("/api/health-report")
                    .then()
                    .statusCode(400)
                    .body("code", equalTo("VALIDATION_FAILED"))
                    .body("violations[0].field", equalTo("from"));
        }
    }

    @Test
    void aRangeAtEitherEndOfTheStoresRangeIsAnEmptyReport() {
        List<Map<String, String>> ranges = List.of(
                Map.of("from", "1970-01-01T00:00:00Z", "to", "1970-01-01T00:00:01Z"),
                Map.of("to", "0"),
                Map.of("from", "9999-12-31T23:00:00Z", "to", "9999-12-31T23:59:59.999Z"));
        for (Map<String, String> range : ranges) {
            given().header("Authorization", TestTokens.ADMIN)
                    .queryParams(range)
                    .when()
                    .get("/api/health-report")
                    .then()
                    .statusCode(200)
                    .body("totalSyncs", equalTo(0));
        }
    }

    @Test
    void reportOfAFlagWithoutDataIsEmptyNotAnError() {
        given().header("Authorization", TestTokens.ADMIN)
                .queryParam("flag", "never-seen")
                .queryParam("cohort", "treatment")
                .when()
                .get("/api/health-report")
                .then()
                .statusCode(200)
                .body("totalSyncs", equalTo(0))
                .body("windows", equalTo(0))
                .body("scopeKeys", hasSize(1));
    }
}
