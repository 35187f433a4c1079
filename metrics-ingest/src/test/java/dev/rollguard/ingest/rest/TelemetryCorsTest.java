package dev.rollguard.ingest.rest;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import dev.rollguard.infra.InfraTestResource;
import dev.rollguard.ingest.EventClock;
import dev.rollguard.ingest.TestTokens;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A page on another origin posting telemetry: the %test profile allows {@value #ALLOWED}. Only the telemetry intake
 * is granted to it; the health report and the internal endpoints never are.
 */
@QuarkusTest
@QuarkusTestResource(
        value = InfraTestResource.class,
        initArgs = @ResourceArg(name = InfraTestResource.KAFKA_STREAMS, value = "true"))
class TelemetryCorsTest {

    static final String ALLOWED = "https://app.example.test";
    static final String FOREIGN = "https://evil.example.test";

    @Test
    void aPreflightFromTheAllowedOriginIsAnsweredAndCached() {
        given().header("Origin", ALLOWED)
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "authorization,content-type")
                .when()
                .options("/api/telemetry")
                .then()
                .statusCode(200)
                .header("Access-Control-Allow-Origin", ALLOWED)
                .header("Access-Control-Allow-Credentials", "false")
                .header("Access-Control-Allow-Methods", "POST")
                .header("Access-Control-Allow-Headers", containsString("Authorization"))
                .header("Access-Control-Allow-Headers", containsString("Content-Type"))
                .header("Access-Control-Max-Age", "7200")
                .header("Vary", containsString("Origin"));
    }

    /** A page that compresses its batches (CompressionStream) names Content-Encoding in its preflight. */
    @Test
    void aPreflightForACompressedBatchIsGranted() {
        given().header("Origin", ALLOWED)
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "authorization,content-type,content-encoding")
                .when()
                .options("/api/telemetry")
                .then()
                .statusCode(200)
                .header("Access-Control-Allow-Origin", ALLOWED)
                .header("Access-Control-Allow-Headers", containsString("Content-Encoding"));
    }

    @Test
    void theAllowedOriginPostsTelemetryAndReadsTheAnswer() {
        long now = EventClock.start().toEpochMilli();
        given().header("Authorization", TestTokens.PRODUCER)
                .header("Origin", ALLOWED)
                .contentType(ContentType.JSON)
                .body(Map.of(
                        "events",
                        List.of(TelemetryResourceTest.syncJson(UUID.randomUUID().toString(), now))))
                .when()
                .post("/api/telemetry")
                .then()
                .statusCode(200)
                .header("Access-Control-Allow-Origin", ALLOWED)
                // The grant names the page's origin: a shared cache must not hand it to a page of another one.
                .header("Vary", containsString("Origin"))
                .body("accepted", equalTo(1));
    }

    /**
     * A batch over the limit is refused with 413 that the page can read, so a browser client splits the batch rather
     * than taking the service for unreachable and sending the same batch again. Announced and chunked alike.
     */
    @Test
    void aBodyOverTheLimitFromTheAllowedOriginIsA413ThePageCanRead() throws Exception {
        String large = "{\"events\": [], \"padding\": \"" + "x".repeat(1024 * 1024) + "\"}";
        given().header("Authorization", TestTokens.PRODUCER)
                .header("Origin", ALLOWED)
                .contentType(ContentType.JSON)
                .body(large)
                .when()
                .post("/api/telemetry")
                .then()
                .statusCode(413)
                .contentType(ContentType.JSON)
                .header("Access-Control-Allow-Origin", ALLOWED)
                .header("Vary", containsString("Origin"))
                .body("code", equalTo("PAYLOAD_TOO_LARGE"));
        HttpResponse<String> chunked = postChunked(ALLOWED, large);
        assertThat(chunked.statusCode()).isEqualTo(413);
        assertThat(chunked.headers().firstValue("Access-Control-Allow-Origin")).hasValue(ALLOWED);
        assertThat(JsonPath.from(chunked.body()).getString("code")).isEqualTo("PAYLOAD_TOO_LARGE");
    }

    @Test
    void aBodyOverTheLimitFromAnotherOriginGetsNoCorsGrant() throws Exception {
        String large = "{\"events\": [], \"padding\": \"" + "x".repeat(1024 * 1024) + "\"}";
        given().header("Authorization", TestTokens.PRODUCER)
                .header("Origin", FOREIGN)
                .contentType(ContentType.JSON)
                .body(large)
                .when()
                .post("/api/telemetry")
                .then()
                .statusCode(403)
                .header("Access-Control-Allow-Origin", nullValue())
                .body("code", equalTo("ORIGIN_NOT_ALLOWED"));
        HttpResponse<String> chunked = postChunked(FOREIGN, large);
        assertThat(chunked.statusCode()).isEqualTo(403);
        assertThat(chunked.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
        assertThat(JsonPath.from(chunked.body()).getString("code")).isEqualTo("ORIGIN_NOT_ALLOWED");
    }

    /** A POST /api/telemetry whose body has no announced length: HTTP/1.1 chunked. */
    private static HttpResponse<String> postChunked(String origin, String body) throws Exception {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        HttpClient http =
                HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        return http.send(
                HttpRequest.newBuilder(URI.create(RestAssured.baseURI + ":" + RestAssured.port + "/api/telemetry"))
                        .header("Authorization", TestTokens.PRODUCER)
                        .header("Origin", origin)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes)))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void anotherOriginGetsNoCorsGrantAndItsPostIsRefused() {
        given().header("Origin", FOREIGN)
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "authorization,content-type")
                .when()
                .options("/api/telemetry")
                .then()
                .statusCode(403)
                .header("Access-Control-Allow-Origin", nullValue())
                .body("code", equalTo("ORIGIN_NOT_ALLOWED"));
        given().header("Authorization", TestTokens.PRODUCER)
                .header("Origin", FOREIGN)
                .contentType(ContentType.JSON)
                .body(Map.of("events", List.of()))
                .when()
                .post("/api/telemetry")
                .then()
                .statusCode(403)
                .header("Access-Control-Allow-Origin", nullValue())
                .body("code", equalTo("ORIGIN_NOT_ALLOWED"));
    }

    @Test
    void theHealthReportIsNeverGrantedToAnotherOriginNotEvenTheAllowedOne() {
        for (String path : new String[] {"/api/health-report", "/api/internal/windows", "/api/telemetry/x"}) {
            given().header("Origin", ALLOWED)
                    .header("Access-Control-Request-Method", "GET")
                    .header("Access-Control-Request-Headers", "authorization")
                    .when()
                    .options(path)
                    .then()
                    .header("Access-Control-Allow-Origin", nullValue())
                    .header("Access-Control-Allow-Methods", nullValue());
        }
        given().header("Authorization", TestTokens.ADMIN)
                .header("Origin", ALLOWED)
                .when()
                .get("/api/health-report")
                .then()
                .statusCode(200)
                .header("Access-Control-Allow-Origin", nullValue())
                .header("Access-Control-Allow-Credentials", nullValue());
    }
}
