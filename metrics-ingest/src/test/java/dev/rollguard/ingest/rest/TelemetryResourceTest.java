package dev.rollguard.ingest.rest;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.infra.InfraTestResource;
import dev.rollguard.ingest.EventClock;
import dev.rollguard.ingest.KafkaTestClient;
import dev.rollguard.ingest.TestTokens;
import dev.rollguard.schemas.Topics;
import dev.rollguard.schemas.event.Platform;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.event.UploadEvent;
import dev.rollguard.schemas.serde.AvroCodec;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** POST /api/telemetry against the real broker: valid events are in the topics when the answer comes. */
@QuarkusTest
@QuarkusTestResource(
        value = InfraTestResource.class,
        initArgs = @ResourceArg(name = InfraTestResource.KAFKA_STREAMS, value = "true"))
class TelemetryResourceTest {

    static Map<String, Object> syncJson(String eventId, long time) {
        return Map.of(
                "type",
                "sync",
                "eventId",
                eventId,
                "eventTime",
                time,
                "clientId",
                "http-client",
                "platform",
                "android",
                "success",
                true,
                "durationMs",
                120,
                "table",
                "entries");
    }

    @Test
    void mixedBatchProducesTheValidEventsAndReportsEachInvalidOneByIndex() {
        long now = EventClock.start().toEpochMilli();
        String syncId = UUID.randomUUID().toString();
        String uploadId = UUID.randomUUID().toString();
        String isoId = UUID.randomUUID().toString();
        List<Object> events = new ArrayList<>();
        events.add(syncJson(syncId, now));
        events.add(Map.of(
                "type",
                "sync",
                "eventId",
                "neg",
                "eventTime",
                now,
                "clientId",
                "c",
                "success",
                true,
                "durationMs",
                -1));
        events.add(Map.of(
                "type",
                "upload",
                "eventId",
                uploadId,
                "eventTime",
                now,
                "clientId",
                "http-client",
                "success",
                false,
                "durationMs",
                900,
                "bytes",
                2048,
                "quotaExceeded",
                true,
                "errorCode",
                "QUOTA_EXCEEDED"));
        events.add(Map.of(
                "type",
                "sync",
                "eventId",
                "p",
                "eventTime",
                now,
                "clientId",
                "c",
                "platform",
                "AMIGA",
                "success",
                true,
                "durationMs",
                1));
        events.add(Map.of("type", "sync", "eventTime", now, "clientId", "c", "success", true, "durationMs", 1));
        events.add("not an object");
        events.add(Map.of("type", "crash", "eventId", "x"));
        events.add(Map.of(
                "type",
                "sync",
                "eventId",
                isoId,
                "eventTime",
                java.time.Instant.ofEpochMilli(now).toString(),
                "clientId",
                "http-client",
                "success",
                true,
                "durationMs",
                "12"));
        events.add(Map.of(
                "type",
                "sync",
                "eventId",
                "future",
                "eventTime",
                now + Duration.ofHours(2).toMillis(),
                "clientId",
                "c",
                "success",
                true,
                "durationMs",
                1));

        given().header("Authorization", TestTokens.PRODUCER)
                .contentType(ContentType.JSON)
                .body(Map.of("events", events))
                .when()
                .post("/api/telemetry")
                .then()
                .statusCode(200)
                .body("accepted", equalTo(2))
                .body("rejected.index", contains(1, 3, 4, 5, 6, 7, 8))
                .body(
                        "rejected.code",
                        contains(
                                "NEGATIVE_VALUE",
                                "UNKNOWN_ENUM_VALUE",
                                "MISSING_FIELD",
                                "MALFORMED_EVENT",
                                "UNKNOWN_TYPE",
                                "INVALID_FIELD",
                                "FUTURE_TIMESTAMP"))
                .body("rejected[0].reason", containsString("durationMs"));

        // Acknowledged means in the topic: the events are readable right after the answer.
        var syncs = KafkaTestClient.await(
                Topics.TELEMETRY_SYNC,
                r -> AvroCodec.of(SyncEvent.class)
                        .decode(r.value())
                        .getEventId()
                        .equals(syncId),
                found -> !found.isEmpty(),
                Duration.ofSeconds(10));
        SyncEvent sync = AvroCodec.of(SyncEvent.class).decode(syncs.get(0).value());
        assertThat(syncs.get(0).key()).isEqualTo("http-client");
        assertThat(sync.getPlatform()).isEqualTo(Platform.ANDROID);
        assertThat(sync.getTable()).isEqualTo("entries");
        var uploads = KafkaTestClient.await(
                Topics.TELEMETRY_UPLOAD,
                r -> AvroCodec.of(UploadEvent.class)
                        .decode(r.value())
                        .getEventId()
                        .equals(uploadId),
                found -> !found.isEmpty(),
                Duration.ofSeconds(10));
        UploadEvent upload =
                AvroCodec.of(UploadEvent.class).decode(uploads.get(0).value());
        assertThat(upload.getQuotaExceeded()).isTrue();
        assertThat(upload.getBytes()).isEqualTo(2048);
    }

    @Test
    void contextAttributesAreCarriedAndCheckedPerEvent() {
        long now = EventClock.start().toEpochMilli();
        String withContext = UUID.randomUUID().toString();
        Map<String, Object> good = new java.util.HashMap<>(syncJson(withContext, now));
        good.put("context", Map.of("country", "FR", "seats", 12, "beta", true));
        Map<String, Object> reserved =
                new java.util.HashMap<>(syncJson(UUID.randomUUID().toString(), now));
        reserved.put("context", Map.of("platform", "IOS"));
        Map<String, Object> nested =
                new java.util.HashMap<>(syncJson(UUID.randomUUID().toString(), now));
        nested.put("context", Map.of("country", List.of("FR")));
        Map<String, Object> control =
                new java.util.HashMap<>(syncJson(UUID.randomUUID().toString(), now));
        control.put("context", Map.of("country", "F\u0000R"));
        Map<String, Object> tooMany =
                new java.util.HashMap<>(syncJson(UUID.randomUUID().toString(), now));
        Map<String, Object> attributes = new java.util.HashMap<>();
        for (int i = 0; i < 33; i++) {
            attributes.put("a" + i, "v");
        }
        tooMany.put("context", attributes);

        given().header("Authorization", TestTokens.PRODUCER)
                .contentType(ContentType.JSON)
                .body(Map.of("events", List.of(good, reserved, nested, control, tooMany)))
                .when()
                .post("/api/telemetry")
                .then()
                .statusCode(200)
                .body("accepted", equalTo(1))
                .body("rejected.index", contains(1, 2, 3, 4))
                .body(
                        "rejected.code",
                        contains("INVALID_FIELD", "INVALID_FIELD", "INVALID_CHARACTER", "OVERSIZED_FIELD"))
                .body("rejected[0].reason", containsString("context.platform"))
                .body("rejected[1].reason", containsString("context.country"));

        var syncs = KafkaTestClient.await(
                Topics.TELEMETRY_SYNC,
                r -> AvroCodec.of(SyncEvent.class)
                        .decode(r.value())
                        .getEventId()
                        .equals(withContext),
                found -> !found.isEmpty(),
                Duration.ofSeconds(10));
        assertThat(AvroCodec.of(SyncEvent.class).decode(syncs.get(0).value()).getContext())
                .as("numbers and booleans are carried as text")
                .containsExactlyInAnyOrderEntriesOf(Map.of("country", "FR", "seats", "12", "beta", "true"));
    }

    @Test
    void timesAndNumbersOutsideTheirRangeAreRefusedPerEventNotTheBatch() {
        long now = EventClock.start().toEpochMilli();
        long maxAgeMs = Duration.ofDays(7).toMillis();
        List<Object> events = new ArrayList<>();
        events.add(syncJson(UUID.randomUUID().toString(), now));
        // Instant.parse reads years far beyond what epoch milliseconds hold.
        events.add(withField(syncJson("far-future", now), "eventTime", "+300000000-01-01T00:00:00Z"));
        events.add(withField(syncJson("far-past", now), "eventTime", "-300000000-01-01T00:00:00Z"));
        events.add(withField(syncJson("endless", now), "durationMs", Long.MAX_VALUE));
        events.add(withField(syncJson("longest", now), "durationMs", maxAgeMs));
        events.add(withField(syncJson("too-long", now), "durationMs", maxAgeMs + 1));
        events.add(upload("largest", now, 1L << 40));
        events.add(upload("too-large", now, (1L << 40) + 1));

        given().header("Authorization", TestTokens.PRODUCER)
                .contentType(ContentType.JSON)
                .body(Map.of("events", events))
                .when()
                .post("/api/telemetry")
                .then()
                .statusCode(200)
                .body("accepted", equalTo(3))
                .body("rejected.index", contains(1, 2, 3, 5, 7))
                .body(
                        "rejected.code",
                        contains(
                                "INVALID_FIELD",
                                "INVALID_FIELD",
                                "OVERSIZED_FIELD",
                                "OVERSIZED_FIELD",
                                "OVERSIZED_FIELD"))
                .body("rejected[0].reason", containsString("eventTime"))
                .body("rejected[2].reason", containsString("durationMs must be at most " + maxAgeMs))
                .body("rejected[4].reason", containsString("bytes must be at most " + (1L << 40)));
    }

    private static Map<String, Object> withField(Map<String, Object> event, String field, Object value) {
        Map<String, Object> changed = new java.util.HashMap<>(event);
        changed.put(field, value);
        return changed;
    }

    private static Map<String, Object> upload(String eventId, long time, long bytes) {
        return Map.of(
                "type",
                "upload",
                "eventId",
                eventId + "-" + UUID.randomUUID(),
                "eventTime",
                time,
                "clientId",
                "http-client",
                "success",
                true,
                "durationMs",
                40,
                "bytes",
                bytes);
    }

    @Test
    void anEmptyBatchIsAcceptedAndAllInvalidIsNotAnError() {
        given().header("Authorization", TestTokens.PRODUCER)
                .contentType(ContentType.JSON)
                .body(Map.of("events", List.of()))
                .when()
                .post("/api/telemetry")
                .then()
                .statusCode(200)
                .body("accepted", equalTo(0))
                .body("rejected", empty());
    }

    /** A 401 names the scheme to use (RFC 9110 15.5.2, RFC 6750 3), and says when the token given was refused. */
    @Test
    void refusesMissingOrWrongTokens() {
        given().contentType(ContentType.JSON)
                .body(Map.of("events", List.of()))
                .when()
                .post("/api/telemetry")
                .then()
                .statusCode(401)
                .header("WWW-Authenticate", equalTo("Bearer realm=\"rollguard\""))
                .body("code", equalTo("UNAUTHENTICATED"));
        given().header("Authorization", "Bearer nope")
                .contentType(ContentType.JSON)
                .body(Map.of("events", List.of()))
                .when()
                .post("/api/telemetry")
                .then()
                .statusCode(401)
                .header("WWW-Authenticate", equalTo("Bearer realm=\"rollguard\", error=\"invalid_token\""))
                .body("code", equalTo("UNAUTHENTICATED"));
        given().header("Authorization", TestTokens.ADMIN)
                .contentType(ContentType.JSON)
                .body(Map.of("events", List.of()))
                .when()
                .post("/api/telemetry")
                .then()
                .statusCode(200);
    }

    @Test
    void bodiesOverOneMegabyteGet413() {
        String padding = "x".repeat(1024 * 1024);
        given().header("Authorization", TestTokens.PRODUCER)
                .contentType(ContentType.JSON)
                .body("{\"events\": [], \"padding\": \"" + padding + "\"}")
                .when()
                .post("/api/telemetry")
                .then()
                .statusCode(413)
                .contentType(ContentType.JSON)
                .body("code", equalTo("PAYLOAD_TOO_LARGE"));
    }

    @Test
    void refusesBatchesOverTheEventLimitAndBodiesThatAreNotJson() {
        List<Object> events = new ArrayList<>();
        for (int i = 0; i < 1001; i++) {
            events.add(Map.of());
        }
        given().header("Authorization", TestTokens.PRODUCER)
                .contentType(ContentType.JSON)
                .body(Map.of("events", events))
                .when()
                .post("/api/telemetry")
                .then()
                .statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED"))
                .body("violations[0].field", equalTo("events"));
        given().header("Authorization", TestTokens.PRODUCER)
                .contentType(ContentType.JSON)
                .body("{not json")
                .when()
                .post("/api/telemetry")
                .then()
                .statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED"));
    }

    /**
     * A body is one JSON object, each key once: text after it, or a key given twice (which a reader would otherwise
     * settle by keeping the last), refuses the whole batch rather than serving a guess of what the client meant.
     */
    @Test
    void trailingTextAndRepeatedKeysAreNotValidJson() throws Exception {
        String event = new ObjectMapper()
                .writeValueAsString(syncJson(
                        UUID.randomUUID().toString(), EventClock.start().toEpochMilli()));
        String batch = "{\"events\": [" + event + "]}";
        List<String> wrong = List.of(
                batch + " trailing",
                batch + " {\"events\": []}",
                "{\"events\": [" + event + "], \"events\": []}",
                "{\"events\": [" + event.replaceFirst("^\\{", "{\"table\": \"other\", ") + "]}");
        for (String body : wrong) {
            given().header("Authorization", TestTokens.PRODUCER)
                    .contentType(ContentType.JSON)
                    .body(body)
                    .when()
                    .post("/api/telemetry")
                    .then()
                    .statusCode(400)
                    .body("code", equalTo("VALIDATION_FAILED"))
                    .body("message", containsString("is not valid JSON"))
                    .body("message", containsString("(line 1, column "));
        }
        given().header("Authorization", TestTokens.PRODUCER)
                .contentType(ContentType.JSON)
                .body(wrong.get(3))
                .when()
                .post("/api/telemetry")
                .then()
                .statusCode(400)
                .body("message", containsString("the key 'table' appears twice"));
        given().header("Authorization", TestTokens.PRODUCER)
                .contentType(ContentType.JSON)
                .body(batch + " \n")
                .when()
                .post("/api/telemetry")
                .then()
                .statusCode(200)
                .body("accepted", equalTo(1));
    }
}
