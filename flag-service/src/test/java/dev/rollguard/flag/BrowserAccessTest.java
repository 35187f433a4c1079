package dev.rollguard.flag;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.containsStringIgnoringCase;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A page on another origin: CORS on the OFREP endpoints only, and the change stream opened the way a browser's
 * EventSource opens it, from the URL the bulk evaluation advertises, without any header. The service runs with CORS
 * on for one origin and its access log on, and every log line it writes goes to a file that the last test reads.
 */
@QuarkusTest
@QuarkusTestResource(FlagServiceInfra.class)
@TestProfile(BrowserAccessTest.BrowserProfile.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BrowserAccessTest {

    static final String ALLOWED = "https://app.example.test";
    static final String FOREIGN = "https://evil.example.test";
    // A system property, so that the test class as loaded by JUnit (which makes the profile) and as loaded by Quarkus
    // (which runs the tests) agree on one fresh file.
    static final Path LOG = Path.of((String) System.getProperties()
            .computeIfAbsent("rollguard.test.browser-log", k -> "target/browser-access-" + System.nanoTime() + ".log"));

    /** Every stream token this test saw, none of which may appear in a log line. */
    static final Set<String> TOKENS = ConcurrentHashMap.newKeySet();

    public static class BrowserProfile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "quarkus.http.cors.enabled", "true",
                    "quarkus.http.cors.origins", ALLOWED,
                    "quarkus.http.access-log.enabled", "true",
                    "quarkus.log.file.enabled", "true",
                    "quarkus.log.file.path", LOG.toString(),
                    "quarkus.log.file.format", "%d %-5p [%c] %s%e%n",
                    "flag-service.stream-tokens.secret", "browser-test-secret-of-more-than-32-characters");
        }
    }

    @TestHTTPResource("/")
    URL root;

    private final HttpClient http =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Test
    @Order(1)
    void aPreflightFromTheAllowedOriginIsAnsweredAndCached() {
        given().header("Origin", ALLOWED)
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "authorization,content-type,if-none-match")
                .when()
                .options("/ofrep/v1/evaluate/flags")
                .then()
                .statusCode(200)
                .header("Access-Control-Allow-Origin", ALLOWED)
                .header("Access-Control-Allow-Credentials", "false")
                .header("Access-Control-Allow-Methods", "GET,POST")
                .header("Access-Control-Allow-Headers", containsString("Authorization"))
                .header("Access-Control-Allow-Headers", containsString("If-None-Match"))
                .header("Access-Control-Max-Age", "7200")
                .header("Vary", containsStringIgnoringCase("Origin"));

        given().header("Origin", ALLOWED)
                .header("Access-Control-Request-Method", "GET")
                .header("Access-Control-Request-Headers", "last-event-id")
                .when()
                .options("/ofrep/v1/events")
                .then()
                .statusCode(200)
                .header("Access-Control-Allow-Origin", ALLOWED)
                .header("Access-Control-Allow-Headers", containsString("Last-Event-ID"));
    }

    @Test
    @Order(2)
    void theAllowedOriginReadsEvaluationsAndTheirEtag() {
        String key = Api.key("browser");
        Api.create(Map.of("key", key, "enabled", true, "rolloutPercentage", 100));

        Api.client()
                .header("Origin", ALLOWED)
                .body("{\"context\":{\"targetingKey\":\"u1\"}}")
                .when()
                .post("/ofrep/v1/evaluate/flags/" + key)
                .then()
                .statusCode(200)
                .header("Access-Control-Allow-Origin", ALLOWED)
                .body("value", equalTo(true));
        Api.client()
                .header("Origin", ALLOWED)
                .body("{\"context\":{\"targetingKey\":\"u1\"}}")
                .when()
                .post("/ofrep/v1/evaluate/flags")
                .then()
                .statusCode(200)
                .header("Access-Control-Allow-Origin", ALLOWED)
                .header("Access-Control-Expose-Headers", containsString("ETag"))
                .header("Vary", containsStringIgnoringCase("Origin"))
                .header("ETag", org.hamcrest.Matchers.notNullValue());
        // The answer names the origin it grants, so a shared cache must keep one per origin, a 304 too.
        String etag = Api.client()
                .header("Origin", ALLOWED)
                .body("{\"context\":{\"targetingKey\":\"u1\"}}")
                .post("/ofrep/v1/evaluate/flags")
                .then()
                .extract()
                .header("ETag");
        Api.client()
                .header("Origin", ALLOWED)
                .header("If-None-Match", etag)
                .body("{\"context\":{\"targetingKey\":\"u1\"}}")
                .post("/ofrep/v1/evaluate/flags")
                .then()
                .statusCode(304)
                .header("Access-Control-Allow-Origin", ALLOWED)
                .header("Vary", containsStringIgnoringCase("Origin"));
    }

    @Test
    @Order(3)
    void anotherOriginGetsNoCorsGrant() {
        given().header("Origin", FOREIGN)
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "authorization,content-type")
                .when()
                .options("/ofrep/v1/evaluate/flags")
                .then()
                .statusCode(403)
                .header("Access-Control-Allow-Origin", nullValue())
                .body("code", equalTo("ORIGIN_NOT_ALLOWED"))
                .body("message", containsString("quarkus.http.cors.origins"))
                .body("message", containsString("ROLLGUARD_CORS_ORIGINS"));
        Api.client()
                .header("Origin", FOREIGN)
                .body("{\"context\":{\"targetingKey\":\"u1\"}}")
                .when()
                .post("/ofrep/v1/evaluate/flags")
                .then()
                .statusCode(403)
                .header("Access-Control-Allow-Origin", nullValue())
                .body("code", equalTo("ORIGIN_NOT_ALLOWED"))
                .body("message", containsString("may not call"));
    }

    @Test
    @Order(3)
    void theServicesOwnPagesStillCallIt() {
        // The Swagger UI served by the service itself sends its own origin.
        String self = root.getProtocol() + "://" + root.getHost() + ":" + root.getPort();
        Api.client()
                .header("Origin", self)
                .body("{\"context\":{\"targetingKey\":\"u1\"}}")
                .when()
                .post("/ofrep/v1/evaluate/flags")
                .then()
                .statusCode(200);
    }

    @Test
    @Order(4)
    void theAdminApiIsNeverGrantedToAnotherOriginNotEvenTheAllowedOne() {
        for (String path : new String[] {"/api/flags", "/api/tokens", "/api/kill-switch", "/api/evaluate/x"}) {
            given().header("Origin", ALLOWED)
                    .header("Access-Control-Request-Method", "POST")
                    .header("Access-Control-Request-Headers", "authorization,content-type")
                    .when()
                    .options(path)
                    .then()
                    .header("Access-Control-Allow-Origin", nullValue())
                    .header("Access-Control-Allow-Methods", nullValue())
                    .header("Access-Control-Allow-Headers", nullValue());
        }
        Api.admin()
                .header("Origin", ALLOWED)
                .when()
                .get("/api/flags")
                .then()
                .statusCode(200)
                .header("Access-Control-Allow-Origin", nullValue())
                .header("Access-Control-Allow-Credentials", nullValue());
        // A path that leaves the OFREP prefix after normalisation is not in it.
        Api.admin()
                .header("Origin", ALLOWED)
                .when()
                .get("/ofrep/v1/../../api/flags")
                .then()
                .header("Access-Control-Allow-Origin", nullValue());
    }

    @Test
    @Order(5)
    void aClientWithoutAnyHeaderFollowsChangesThroughTheAdvertisedUrl() throws Exception {
        String key = Api.key("browser-stream");
        Api.create(Map.of("key", key, "enabled", true, "rolloutPercentage", 100));
        String url = advertisedUrl(Api.CLIENT);
        assertThat(url).startsWith(root.toString() + "ofrep/v1/events?token=v2.");

        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        CompletableFuture<HttpResponse<Stream<String>>> response = http.sendAsync(
                HttpRequest.newBuilder(URI.create(url))
                        .header("Accept", "text/event-stream")
                        .header("Origin", ALLOWED)
                        .build(),
                HttpResponse.BodyHandlers.ofLines());
        try {
            HttpResponse<Stream<String>> stream = response.get(10, TimeUnit.SECONDS);
            assertThat(stream.statusCode()).isEqualTo(200);
            assertThat(stream.headers().firstValue("Access-Control-Allow-Origin"))
                    .contains(ALLOWED);
            Thread reader = new Thread(
                    () -> {
                        try {
                            stream.body().forEach(lines::add);
                        } catch (UncheckedIOException closedByTheTest) {
                            // the stream ends when the test closes it
                        }
                    },
                    "sse-reader");
            reader.setDaemon(true);
            reader.start();
            awaitLine(lines, l -> l.startsWith(":") && l.contains("connected"));

            Api.kill(key, "seen by a browser");
            String data = awaitLine(lines, l -> l.startsWith("data:"));
            JsonNode event = new ObjectMapper().readTree(data.substring("data:".length()));
            assertThat(event.get("type").asText()).isEqualTo("refetchEvaluation");
            // The refetch it triggers sees the kill.
            Api.client()
                    .body("{\"context\":{\"targetingKey\":\"u1\"}}")
                    .post("/ofrep/v1/evaluate/flags/" + key)
                    .then()
                    .body("reason", equalTo("DISABLED"));
        } finally {
            response.cancel(true);
            if (response.isDone() && !response.isCompletedExceptionally()) {
                response.join().body().close();
            }
        }
    }

    @Test
    @Order(5)
    void theAdvertisedUrlLastsHalfADayAtLeastSoEventSourceCanReconnectToIt() throws Exception {
        String url = advertisedUrl(Api.CLIENT);
        String token = url.substring(url.indexOf("?token=") + "?token=".length());
        String payload = new String(java.util.Base64.getUrlDecoder().decode(token.split("\\.")[1]));
        long expiresAt = Long.parseLong(payload.split("\\|")[2]);

        // With the default TTL; a 401 on a reconnect (tab shown again, network back, rolling deploy) ends EventSource.
        assertThat(Instant.ofEpochSecond(expiresAt))
                .isAfter(Instant.now().plus(Duration.ofHours(12).minusMinutes(1)));
        for (int connect = 0; connect < 2; connect++) {
            HttpResponse<Stream<String>> open = http.send(
                    HttpRequest.newBuilder(URI.create(url))
                            .header("Accept", "text/event-stream")
                            .build(),
                    HttpResponse.BodyHandlers.ofLines());
            assertThat(open.statusCode()).isEqualTo(200);
            open.body().close();
        }
    }

    @Test
    @Order(6)
    void anExpiredOrTamperedStreamUrlIsA401WithCodeAndMessage() throws Exception {
        String url = advertisedUrl(Api.CLIENT);
        String token = url.substring(url.indexOf("?token=") + "?token=".length());
        String[] parts = token.split("\\.");
        String payload = new String(java.util.Base64.getUrlDecoder().decode(parts[1]));
        String[] fields = payload.split("\\|");

        // The same token with an expiry in the past, signed with the secret: only the expiry is wrong.
        String expired = dev.rollguard.flag.service.StreamTokenFixtures.sign(
                "browser-test-secret-of-more-than-32-characters",
                fields[0] + "|" + fields[1] + "|"
                        + Instant.now().minusSeconds(1).getEpochSecond() + "|" + fields[3]);
        TOKENS.add(expired);
        assertRefused(stream(expired), "the stream token has expired");

        String tampered = parts[0] + "." + parts[1] + "." + parts[2].substring(0, 10)
                + (parts[2].charAt(10) == 'A' ? 'B' : 'A') + parts[2].substring(11);
        TOKENS.add(tampered);
        assertRefused(stream(tampered), "the stream token is not valid");

        // A stream token opens the stream and nothing else.
        given().header("Authorization", "Bearer " + token)
                .body("{\"context\":{}}")
                .post("/ofrep/v1/evaluate/flags")
                .then()
                .statusCode(401)
                .body("code", equalTo("UNAUTHENTICATED"));
        given().body("{\"context\":{}}")
                .post("/ofrep/v1/evaluate/flags?token=" + token)
                .then()
                .statusCode(401)
                .body("code", equalTo("UNAUTHENTICATED"));
        given().get("/api/flags?token=" + token).then().statusCode(401);
    }

    @Test
    @Order(7)
    void revokingTheClientTokenStopsNewStreamsOfItsUrls() throws Exception {
        String name = Api.key("web-app");
        String secret = Api.admin()
                .body(Map.of("name", name, "kind", "CLIENT"))
                .post("/api/tokens")
                .then()
                .statusCode(201)
                .extract()
                .path("token");
        String url = advertisedUrl(secret);
        HttpResponse<Stream<String>> open =
                http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofLines());
        assertThat(open.statusCode()).isEqualTo(200);
        open.body().close();

        Api.admin().delete("/api/tokens/" + name).then().statusCode(200);

        assertRefused(
                http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()),
                "the token this stream URL was issued to is revoked");
    }

    @Test
    @Order(100)
    void noStreamTokenEverReachesALogLineTheAccessLogIncluded() throws IOException {
        await().atMost(Duration.ofSeconds(5))
                .until(() -> Files.exists(LOG) && Files.readString(LOG).contains("/ofrep/v1/events"));
        String log = Files.readString(LOG);
        assertThat(log).as("access log lines of the stream").contains("\"GET /ofrep/v1/events HTTP/1.1\" 401");
        assertThat(TOKENS).isNotEmpty();
        for (String token : TOKENS) {
            assertThat(log).doesNotContain(token);
            // Not even the signature alone.
            assertThat(log).doesNotContain(token.substring(token.lastIndexOf('.') + 1));
        }
        assertThat(log).doesNotContain("token=");
    }

    private String advertisedUrl(String clientToken) {
        Response bulk = Api.as(clientToken)
                .header("Origin", ALLOWED)
                .body("{\"context\":{\"targetingKey\":\"u1\"}}")
                .post("/ofrep/v1/evaluate/flags");
        assertThat(bulk.statusCode()).isEqualTo(200);
        String url = bulk.jsonPath().getString("eventStreams[0].url");
        assertThat(bulk.jsonPath().getString("eventStreams[0].type")).isEqualTo("sse");
        TOKENS.add(url.substring(url.indexOf("?token=") + "?token=".length()));
        return url;
    }

    private HttpResponse<String> stream(String token) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(root + "ofrep/v1/events?token=" + token))
                        .header("Accept", "text/event-stream")
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static void assertRefused(HttpResponse<String> response, String message) throws IOException {
        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("Content-Type"))
                .hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
        JsonNode body = new ObjectMapper().readTree(response.body());
        assertThat(body.get("code").asText()).isEqualTo("UNAUTHENTICATED");
        assertThat(body.get("message").asText()).startsWith(message);
        for (String token : TOKENS) {
            assertThat(response.body()).doesNotContain(token);
        }
    }

    private static String awaitLine(BlockingQueue<String> lines, java.util.function.Predicate<String> wanted) {
        String[] found = new String[1];
        await().atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(5))
                .until(() -> {
                    for (String line; (line = lines.poll()) != null; ) {
                        if (wanted.test(line)) {
                            found[0] = line;
                            return true;
                        }
                    }
                    return false;
                });
        return found[0];
    }
}
