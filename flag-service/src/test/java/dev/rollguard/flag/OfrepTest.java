package dev.rollguard.flag;

import static dev.rollguard.flag.Api.admin;
import static dev.rollguard.flag.Api.client;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.startsWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.flag.domain.Caller;
import dev.rollguard.flag.service.FlagSnapshot;
import dev.rollguard.flag.service.StreamTokens;
import dev.rollguard.flag.service.TokenService;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.serde.AvroCodec;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.io.InputStream;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The OpenFeature Remote Evaluation Protocol: answers, error codes, status codes, ETags, typed values. */
@QuarkusTest
@QuarkusTestResource(FlagServiceInfra.class)
class OfrepTest {

    private static final AvroCodec<FlagChangedEvent> CODEC = AvroCodec.of(FlagChangedEvent.class);

    @TestHTTPResource("/")
    URL root;

    @Inject
    FlagSnapshot snapshot;

    @Inject
    StreamTokens streamTokens;

    @Inject
    TokenService tokens;

    @Test
    void anUnknownFlagIs404FlagNotFound() {
        Api.evaluate("no-such-flag", "u1")
                .then()
                .statusCode(404)
                .contentType(ContentType.JSON)
                .body("key", equalTo("no-such-flag"))
                .body("errorCode", equalTo("FLAG_NOT_FOUND"))
                .body("errorDetails", notNullValue());
    }

    @Test
    void aServerErrorCarriesOfrepsErrorDetailsBesideCodeAndMessage() {
        client().get(FailingOfrepEndpoint.PATH)
                .then()
                .statusCode(500)
                .contentType(ContentType.JSON)
                .body("errorDetails", equalTo("the request failed inside the service"))
                .body("errorCode", equalTo("GENERAL"))
                .body("code", equalTo("INTERNAL"))
                .body("message", equalTo("the request failed inside the service"))
                .body(not(containsString("IllegalStateException")));
    }

    @Test
    void behindATlsTerminatingProxyTheStreamUrlIsHttpsOnThePublicHost() {
        String url = client().header("X-Forwarded-Proto", "https")
                .header("X-Forwarded-Host", "flags.example.com")
                .body("{\"context\":{\"targetingKey\":\"u1\"}}")
                .post("/ofrep/v1/evaluate/flags")
                .then()
                .statusCode(200)
                .extract()
                .path("eventStreams[0].url");

        assertThat(url).startsWith("https://flags.example.com/ofrep/v1/events?token=v2.");
    }

    @Test
    void aRefetchNamingAChangeThisInstanceHasNotAppliedWaitsForItInsteadOfAnswering304() throws Exception {
        String key = Api.key("refetch");
        Api.create(Map.of("key", key, "enabled", false, "rolloutPercentage", 100));
        await().atMost(Duration.ofSeconds(10))
                .until(() -> snapshot.current().flags().containsKey(key));
        String body = "{\"context\":{\"targetingKey\":\"u1\"}}";
        String etag = client().body(body).post("/ofrep/v1/evaluate/flags").header("ETag");

        // The change as another instance applied it, announced by its change stream; it reaches this one later.
        FlagChangedEvent held = snapshot.current().flags().get(key);
        FlagChangedEvent change = CODEC.decode(CODEC.encode(held));
        change.setVersion(held.getVersion() + 1);
        change.setEnabled(true);
        change.setChangedAt(
                max(snapshot.current().lastModified(), Instant.now()).plusSeconds(5));
        long started = System.nanoTime();
        CompletableFuture<Response> refetch = CompletableFuture.supplyAsync(() -> client().header("If-None-Match", etag)
                .queryParam("flagConfigLastModified", change.getChangedAt().getEpochSecond())
                .body(body)
                .post("/ofrep/v1/evaluate/flags"));
        CompletableFuture<Boolean> applied = CompletableFuture.supplyAsync(
                () -> snapshot.apply(change), CompletableFuture.delayedExecutor(300, TimeUnit.MILLISECONDS));

        Response answer = refetch.get(10, TimeUnit.SECONDS);
        assertThat(applied.get(10, TimeUnit.SECONDS)).isTrue();
        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.jsonPath().getBoolean("flags.find { it.key == '" + key + "' }.value"))
                .isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofMillis(1900));
    }

    @Test
    void aRefetchNamingAChangeThatNeverArrivesGets200AfterTheWaitAndOneThatIsHeldA304AtOnce() {
        String body = "{\"context\":{\"targetingKey\":\"u1\"}}";
        FlagSnapshot.State held = snapshot.current();
        Response first = client().body(body).post("/ofrep/v1/evaluate/flags");
        String etag = first.header("ETag");
        assertThat(first.jsonPath().getString("metadata.revision")).isEqualTo(held.revision());

        // What the change stream of this instance announced: held, so the same ETag is not modified.
        long started = System.nanoTime();
        client().header("If-None-Match", etag)
                .queryParam("flagConfigEtag", "\"" + held.revision() + "\"")
                .queryParam("flagConfigLastModified", held.lastModified().getEpochSecond())
                .body(body)
                .post("/ofrep/v1/evaluate/flags")
                .then()
                .statusCode(304);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofMillis(1500));

        // A change this instance does not get within the wait: what it holds, as a 200.
        started = System.nanoTime();
        client().header("If-None-Match", etag)
                .queryParam(
                        "flagConfigLastModified",
                        Instant.now().plus(Duration.ofDays(10)).toString())
                .body(body)
                .post("/ofrep/v1/evaluate/flags")
                .then()
                .statusCode(200)
                .header("ETag", equalTo(etag))
                .body("metadata.revision", equalTo(held.revision()));
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(1900));
    }

    @Test
    void badRequestsGetTheProtocolsErrorCodes() {
        String key = Api.key("errors");
        Api.create(Map.of("key", key, "enabled", true, "rolloutPercentage", 50));
        post(key, "{\"context\": {\"targetingKey\": ")
                .then()
                .statusCode(400)
                .body("key", equalTo(key))
                .body("errorCode", equalTo("PARSE_ERROR"));
        post(key, "[1, 2]").then().statusCode(400).body("errorCode", equalTo("PARSE_ERROR"));
        // One JSON value, nothing after it, each key once, for one flag and for all.
        for (String trailing : List.of(
                "{\"context\": {\"targetingKey\": \"u1\"}} xyz",
                "{\"context\": {}} {\"context\": {}}",
                "{\"context\": {\"targetingKey\": \"u1\", \"targetingKey\": \"u2\"}}")) {
            post(key, trailing).then().statusCode(400).body("errorCode", equalTo("PARSE_ERROR"));
            client().body(trailing)
                    .post("/ofrep/v1/evaluate/flags")
                    .then()
                    .statusCode(400)
                    .body("errorCode", equalTo("PARSE_ERROR"));
        }
        post(key, "{\"context\": \"user-1\"}").then().statusCode(400).body("errorCode", equalTo("INVALID_CONTEXT"));
        post(key, "{\"context\": {\"targetingKey\": 42}}")
                .then()
                .statusCode(400)
                .body("errorCode", equalTo("INVALID_CONTEXT"));
        post(key, "{\"context\": {\"plan\": \"pro\"}}")
                .then()
                .statusCode(400)
                .body("errorCode", equalTo("TARGETING_KEY_MISSING"));
        // The context is optional: a flag that needs no subject evaluates without one.
        String everyone = Api.key("everyone");
        Api.create(Map.of("key", everyone, "enabled", true, "rolloutPercentage", 100));
        post(everyone, "").then().statusCode(200).body("value", equalTo(true)).body("reason", equalTo("STATIC"));
    }

    @Test
    void tokensGoInXApiKeyOrBearerAndAreRequired() {
        String key = Api.key("auth");
        Api.create(Map.of("key", key, "enabled", true, "rolloutPercentage", 100));
        String body = "{\"context\":{\"targetingKey\":\"u1\"}}";
        given().header("X-API-Key", Api.CLIENT)
                .contentType(ContentType.JSON)
                .body(body)
                .post("/ofrep/v1/evaluate/flags/" + key)
                .then()
                .statusCode(200);
        given().header("Authorization", "Bearer " + Api.CLIENT)
                .contentType(ContentType.JSON)
                .body(body)
                .post("/ofrep/v1/evaluate/flags/" + key)
                .then()
                .statusCode(200);
        given().contentType(ContentType.JSON)
                .body(body)
                .post("/ofrep/v1/evaluate/flags/" + key)
                .then()
                .statusCode(401)
                .body("code", equalTo("UNAUTHENTICATED"));
        given().header("X-API-Key", "not-a-token")
                .contentType(ContentType.JSON)
                .body(body)
                .post("/ofrep/v1/evaluate/flags")
                .then()
                .statusCode(401);
    }

    @Test
    void bulkEvaluationCarriesAnETagAndAnswers304UntilSomethingChanges() {
        String key = Api.key("bulk");
        String etag = Api.create(Map.of("key", key, "enabled", true, "rolloutPercentage", 100));
        String context = "{\"context\":{\"targetingKey\":\"u1\",\"plan\":\"pro\"}}";

        var first = client().body(context).post("/ofrep/v1/evaluate/flags");
        first.then()
                .statusCode(200)
                .body("flags.key", hasItem(key))
                .body("eventStreams[0].type", equalTo("sse"))
                .body("eventStreams[0].url", org.hamcrest.Matchers.containsString("/ofrep/v1/events?token=v2."));
        String bulkTag = first.header("ETag");
        JsonPath flags = first.jsonPath();
        assertThat(flags.getBoolean("flags.find { it.key == '" + key + "' }.value"))
                .isTrue();

        client().header("If-None-Match", bulkTag)
                .body(context)
                .post("/ofrep/v1/evaluate/flags")
                .then()
                .statusCode(304);
        // The same context with its members in another order is the same context.
        client().header("If-None-Match", bulkTag)
                .body("{\"context\":{\"plan\":\"pro\",\"targetingKey\":\"u1\"}}")
                .post("/ofrep/v1/evaluate/flags")
                .then()
                .statusCode(304);
        // Another subject may get other values: not the same ETag.
        client().header("If-None-Match", bulkTag)
                .body("{\"context\":{\"targetingKey\":\"u2\"}}")
                .post("/ofrep/v1/evaluate/flags")
                .then()
                .statusCode(200);

        admin().header("If-Match", etag)
                .body(Map.of("enabled", false))
                .patch("/api/flags/" + key)
                .then()
                .statusCode(200);
        var after = client().header("If-None-Match", bulkTag).body(context).post("/ofrep/v1/evaluate/flags");
        after.then().statusCode(200);
        assertThat(after.header("ETag")).isNotEqualTo(bulkTag);
        assertThat(after.jsonPath().getString("flags.find { it.key == '" + key + "' }.reason"))
                .isEqualTo("DISABLED");

        client().body("{oops")
                .post("/ofrep/v1/evaluate/flags")
                .then()
                .statusCode(400)
                .body("errorCode", equalTo("PARSE_ERROR"));
        client().body("{\"context\": 3}")
                .post("/ofrep/v1/evaluate/flags")
                .then()
                .statusCode(400)
                .body("errorCode", equalTo("INVALID_CONTEXT"));
    }

    @Test
    void bulkEvaluationReportsPerFlagErrorsBesideTheValues() {
        String split = Api.key("bulk-split");
        Api.create(Map.of("key", split, "enabled", true, "rolloutPercentage", 50));
        JsonPath bulk = client().body("{\"context\":{}}")
                .post("/ofrep/v1/evaluate/flags")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        assertThat(bulk.getString("flags.find { it.key == '" + split + "' }.errorCode"))
                .isEqualTo("TARGETING_KEY_MISSING");
    }

    @Test
    void multiVariantFlagsServeTypedValues() {
        String colour = Api.key("colour");
        Api.create(Map.of(
                "key",
                colour,
                "type",
                "STRING",
                "enabled",
                true,
                "variants",
                Map.of("blue", "#0000ff", "grey", "#888888"),
                "treatmentVariant",
                "blue",
                "offVariant",
                "grey",
                "rolloutPercentage",
                100));
        Api.evaluate(colour, "u1")
                .then()
                .statusCode(200)
                .body("value", equalTo("#0000ff"))
                .body("variant", equalTo("blue"));
        Api.kill(colour, "test");
        Api.evaluate(colour, "u1").then().body("value", equalTo("#888888")).body("variant", equalTo("grey"));

        String limit = Api.key("limit");
        Api.create(Map.of(
                "key",
                limit,
                "type",
                "NUMBER",
                "enabled",
                true,
                "variants",
                Map.of("high", 2.5, "low", 1),
                "treatmentVariant",
                "high",
                "offVariant",
                "low",
                "rolloutPercentage",
                100));
        Api.evaluate(limit, "u1").then().body("value", equalTo(2.5f));

        String config = Api.key("config");
        Api.create(Map.of(
                "key",
                config,
                "type",
                "JSON",
                "enabled",
                true,
                "variants",
                Map.of("on", Map.of("batch", 50, "mode", "fast"), "off", Map.of("batch", 10)),
                "rolloutPercentage",
                100));
        Api.evaluate(config, "u1").then().body("value.batch", equalTo(50)).body("value.mode", equalTo("fast"));
    }

    @Test
    void aJsonFlagHoldsObjectsNeverArrays() {
        String key = Api.key("array");
        Map<String, Object> flag = Map.of(
                "key",
                key,
                "type",
                "JSON",
                "enabled",
                true,
                "variants",
                Map.of("on", List.of("a", "b"), "off", Map.of()),
                "rolloutPercentage",
                100);
        admin().body(flag)
                .post("/api/flags")
                .then()
                .statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED"))
                .body("violations[0].field", equalTo("variants.on"))
                .body(
                        "violations[0].message",
                        startsWith("must be a JSON object: OFREP serves a JSON flag as an object"));
        admin().get("/api/flags/" + key).then().statusCode(404);

        String etag = Api.create(Map.of(
                "key",
                key,
                "type",
                "JSON",
                "enabled",
                true,
                "variants",
                Map.of("on", Map.of("items", List.of("a", "b")), "off", Map.of()),
                "rolloutPercentage",
                100));
        admin().header("If-Match", etag)
                .contentType("application/merge-patch+json")
                .body(Map.of("variants", Map.of("on", Map.of("items", List.of("a", "b")), "off", List.of())))
                .patch("/api/flags/" + key)
                .then()
                .statusCode(400)
                .body("violations[0].field", equalTo("variants.off"));
        Api.evaluate(key, "u1").then().statusCode(200).body("value.items", equalTo(List.of("a", "b")));
    }

    /**
     * A JSON flag stored with an array variant before arrays were refused keeps it (nothing is migrated), but OFREP
     * has no flag type for an array: a subject who gets that variant is answered GENERAL, single and bulk, and every
     * other flag is served as before. An edit may keep the variant unchanged; one that makes it an object serves it.
     */
    @Test
    void aJsonFlagStoredWithAnArrayIsAnsweredGeneralUntilItHoldsAnObject() throws Exception {
        String key = Api.key("stored-array");
        Api.create(Map.of(
                "key",
                key,
                "type",
                "JSON",
                "enabled",
                true,
                "variants",
                Map.of("on", Map.of("items", List.of("a")), "off", Map.of("items", List.of())),
                "allowList",
                List.of("qa"),
                "rolloutPercentage",
                0));
        String served = Api.key("served-beside");
        Api.create(Map.of("key", served, "enabled", true, "rolloutPercentage", 100));
        StoredFlags.setVariant(snapshot, key, "on", "[\"a\",\"b\"]");

        Api.evaluate(key, "qa")
                .then()
                .statusCode(400)
                .body("key", equalTo(key))
                .body("errorCode", equalTo("GENERAL"))
                .body("errorDetails", containsString("variant 'on', a JSON array"));
        // Subjects who get the object variant are served it.
        Api.evaluate(key, "u1").then().statusCode(200).body("value.items", equalTo(List.of()));
        JsonPath bulk = client().body("{\"context\": {\"targetingKey\": \"qa\"}}")
                .post("/ofrep/v1/evaluate/flags")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        assertThat(bulk.getString("flags.find { it.key == '" + key + "' }.errorCode"))
                .isEqualTo("GENERAL");
        assertThat(bulk.getString("flags.find { it.key == '" + key + "' }.value"))
                .isNull();
        assertThat(bulk.getBoolean("flags.find { it.key == '" + served + "' }.value"))
                .isTrue();
        client().queryParam("targetingKey", "qa")
                .get("/api/evaluate/" + key)
                .then()
                .statusCode(400)
                .body("code", equalTo("GENERAL"));

        // The stored array may stay while other fields change (PATCH replaces variants whole); no other array may
        // take its place.
        admin().get("/api/flags/" + key).then().body("variants.on", equalTo(List.of("a", "b")));
        admin().header("If-Match", "\"2\"")
                .contentType("application/merge-patch+json")
                .body(Map.of("variants", Map.of("on", List.of("c"), "off", Map.of("items", List.of()))))
                .patch("/api/flags/" + key)
                .then()
                .statusCode(400)
                .body("violations[0].field", equalTo("variants.on"));
        admin().header("If-Match", "\"2\"")
                .contentType("application/merge-patch+json")
                .body(Map.of("description", "kept its array"))
                .patch("/api/flags/" + key)
                .then()
                .statusCode(200)
                .body("variants.on", equalTo(List.of("a", "b")));
        Api.evaluate(key, "qa").then().statusCode(400).body("errorCode", equalTo("GENERAL"));
        admin().header("If-Match", "\"3\"")
                .contentType("application/merge-patch+json")
                .body(Map.of(
                        "variants",
                        Map.of("on", Map.of("items", List.of("a", "b")), "off", Map.of("items", List.of()))))
                .patch("/api/flags/" + key)
                .then()
                .statusCode(200);
        Api.evaluate(key, "qa").then().statusCode(200).body("value.items", equalTo(List.of("a", "b")));
    }

    /**
     * A release that answers unchanged flags differently (here: a JSON flag stored with an array variant, served as the
     * array before arrays were refused and answered GENERAL since) must not let a web provider keep the answer it
     * cached: the ETag the previous release gave for the same flag versions, context and stream period is answered
     * 200 with the new answer, while the ETag of this release still earns a 304.
     */
    @Test
    void aBulkETagFromAReleaseThatAnsweredOtherwiseIsAnswered200() throws Exception {
        String key = Api.key("semantics");
        Api.create(Map.of(
                "key",
                key,
                "type",
                "JSON",
                "enabled",
                true,
                "variants",
                Map.of("on", Map.of("items", List.of("a")), "off", Map.of("items", List.of())),
                "rolloutPercentage",
                100));
        StoredFlags.setVariant(snapshot, key, "on", "[\"a\",\"b\"]");
        // No context: its hash is "0", so the previous release's tag is built here from its parts alone.
        String noContext = "{}";

        Caller caller = tokens.authenticate(Api.CLIENT).orElseThrow();
        String period;
        String previousRelease;
        Response current;
        do {
            period = streamTokens.period(caller);
            previousRelease = "\"" + snapshot.current().revision() + "-0-" + period + "\"";
            current = client().header("If-None-Match", previousRelease)
                    .body(noContext)
                    .post("/ofrep/v1/evaluate/flags");
        } while (!period.equals(streamTokens.period(caller)));

        current.then().statusCode(200);
        assertThat(current.header("ETag")).isNotEqualTo(previousRelease);
        assertThat(current.jsonPath().getString("flags.find { it.key == '" + key + "' }.errorCode"))
                .isEqualTo("GENERAL");
        client().header("If-None-Match", current.header("ETag"))
                .body(noContext)
                .post("/ofrep/v1/evaluate/flags")
                .then()
                .statusCode(304);
    }

    @Test
    void thePlainGetEndpointEvaluatesOneFlag() {
        String key = Api.key("plain-get");
        Api.create(Map.of("key", key, "enabled", true, "allowList", List.of("qa@example.com")));
        client().queryParam("targetingKey", "qa@example.com")
                .get("/api/evaluate/" + key)
                .then()
                .statusCode(200)
                .body("value", equalTo(true))
                .body("reason", equalTo("TARGETING_MATCH"));
        client().get("/api/evaluate/nope").then().statusCode(404).body("code", equalTo("FLAG_NOT_FOUND"));
    }

    @Test
    void theBucketingTestVectorsReproduceThroughOfrep() throws Exception {
        // A plain keep-alive client: hundreds of requests, and RestAssured's per-request cost would dominate.
        java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
                .version(java.net.http.HttpClient.Version.HTTP_1_1)
                .build();
        ObjectMapper json = new ObjectMapper();
        JsonNode vectors;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("bucketing/test-vectors.json")) {
            vectors = json.readTree(in).get("vectors");
        }
        Map<String, List<JsonNode>> byFlag = new java.util.TreeMap<>();
        vectors.forEach(v -> byFlag.computeIfAbsent(v.get("flagKey").asText(), k -> new java.util.ArrayList<>())
                .add(v));
        int checked = 0;
        for (var entry : byFlag.entrySet()) {
            String flag = entry.getKey();
            String etag = Api.create(Map.of("key", flag, "enabled", true));
            for (String level : List.of("0", "1", "500", "1000", "5000", "9999", "10000")) {
                double percentage = Integer.parseInt(level) / 100.0;
                etag = admin().header("If-Match", etag)
                        .body(Map.of("rolloutPercentage", percentage))
                        .patch("/api/flags/" + flag)
                        .then()
                        .statusCode(200)
                        .extract()
                        .header("ETag");
                for (JsonNode vector : entry.getValue()) {
                    String subject = vector.get("targetingKey").asText();
                    boolean expected =
                            vector.get("inRolloutAtBasisPoints").get(level).asBoolean();
                    HttpResponse<String> response = http.send(
                            HttpRequest.newBuilder(URI.create(root + "ofrep/v1/evaluate/flags/" + flag))
                                    .header("Authorization", "Bearer " + Api.CLIENT)
                                    .header("Content-Type", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(
                                            Map.of("context", Map.of("targetingKey", subject)))))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
                    JsonNode answer = json.readTree(response.body());
                    boolean split = !level.equals("0") && !level.equals("10000");
                    if (subject.isEmpty() && split) {
                        // An empty targeting key is no key: a percentage rollout cannot place it.
                        assertThat(response.statusCode()).isEqualTo(400);
                        assertThat(answer.get("errorCode").asText()).isEqualTo("TARGETING_KEY_MISSING");
                        continue;
                    }
                    assertThat(response.statusCode()).isEqualTo(200);
                    assertThat(answer.get("value").asBoolean())
                            .as("%s / %s at %s basis points", flag, subject, level)
                            .isEqualTo(expected);
                    checked++;
                }
            }
        }
        assertThat(checked).isGreaterThan(300);
    }

    private static Response post(String key, String body) {
        return client().body(body).post("/ofrep/v1/evaluate/flags/" + key);
    }

    private static Instant max(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }
}
