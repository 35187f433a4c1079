package dev.rollguard.ingest.rest;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.infra.InfraTestResource;
import dev.rollguard.ingest.EventClock;
import dev.rollguard.ingest.TestTokens;
import dev.rollguard.ingest.service.TelemetryValidator;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.event.UploadEvent;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

/**
 * POST /api/telemetry refuses, per event, a control character in any string the event carries: every text and enum
 * field of the schemas (read from them, so a new field is covered), the type, an ISO event time, an exposure's flag
 * key and variant. The clean events of the same batch are accepted.
 */
@QuarkusTest
@QuarkusTestResource(
        value = InfraTestResource.class,
        initArgs = @ResourceArg(name = InfraTestResource.KAFKA_STREAMS, value = "true"))
class TelemetryTextTest {

    static Map<String, Object> event(String type, long now) {
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("type", type);
        event.put("eventId", UUID.randomUUID().toString());
        event.put("eventTime", java.time.Instant.ofEpochMilli(now).toString());
        event.put("clientId", "text-client");
        event.put("userId", "alice");
        event.put("sessionId", "s-1");
        event.put("platform", "web");
        event.put("appVersion", "1.2.3");
        event.put("table", "entries");
        event.put("success", false);
        event.put("durationMs", 10);
        event.put("errorCode", "TIMEOUT");
        event.put("errorMessage", "timed out");
        event.put("exposures", List.of(Map.of("flagKey", "door-flag", "variant", "on", "treated", true)));
        if (type.equals("sync")) {
            event.put("syncKind", "full");
        }
        return event;
    }

    /** The JSON strings of an event kind: text and enum fields of its schema, the type, the event time, exposures. */
    static List<String> stringFields(Schema schema) {
        List<String> fields = new ArrayList<>(List.of("type", "eventTime"));
        for (Schema.Field field : schema.getFields()) {
            Schema type = field.schema();
            List<Schema> branches = type.getType() == Schema.Type.UNION ? type.getTypes() : List.of(type);
            if (branches.stream().anyMatch(t -> t.getType() == Schema.Type.STRING || t.getType() == Schema.Type.ENUM)) {
                fields.add(field.name());
            }
        }
        fields.add("exposures[0].flagKey");
        fields.add("exposures[0].variant");
        return fields;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> with(Map<String, Object> event, String field, String bad) {
        Map<String, Object> copy = new LinkedHashMap<>(event);
        if (field.startsWith("exposures[0].")) {
            Map<String, Object> exposure = new HashMap<>(((List<Map<String, Object>>) event.get("exposures")).get(0));
            exposure.put(field.substring("exposures[0].".length()), bad);
            copy.put("exposures", List.of(exposure));
        } else {
            copy.put(field, ((String) event.get(field)) + bad);
        }
        return copy;
    }

    static JsonPath post(List<Map<String, Object>> events) {
        return given().header("Authorization", TestTokens.PRODUCER)
                .contentType(ContentType.JSON)
                .body(Map.of("events", events))
                .when()
                .post("/api/telemetry")
                .then()
                .statusCode(200)
                .contentType(ContentType.JSON)
                .extract()
                .jsonPath();
    }

    @Test
    void aControlCharacterInAnyStringOfAnEventRejectsThatEventOnly() {
        long now = EventClock.start().toEpochMilli();
        for (String type : List.of("sync", "upload")) {
            Schema schema = type.equals("sync") ? SyncEvent.getClassSchema() : UploadEvent.getClassSchema();
            List<String> fields = stringFields(schema);
            assertThat(fields)
                    .contains("clientId", "userId", "table", "platform", "appVersion", "errorCode", "errorMessage");
            List<Map<String, Object>> events = new ArrayList<>();
            List<String> expected = new ArrayList<>();
            for (String field : fields) {
                for (String bad : List.of("\u0000", "\u001b[2J", "\u0085")) {
                    events.add(with(event(type, now), field, bad));
                    expected.add(field);
                }
            }
            events.add(event(type, now));

            JsonPath answer = post(events);

            assertThat(answer.getInt("accepted")).as(type).isEqualTo(1);
            List<Map<String, Object>> rejected = answer.getList("rejected");
            assertThat(rejected).hasSize(expected.size());
            for (int i = 0; i < rejected.size(); i++) {
                assertThat(rejected.get(i)).containsEntry("index", i).containsEntry("code", "INVALID_CHARACTER");
                assertThat((String) rejected.get(i).get("reason"))
                        .as("rejection %d", i)
                        .startsWith(expected.get(i) + " contains the character U+");
            }
        }
    }

    @Test
    void errorMessagesKeepTabsAndLineFeedsAndNothingElseDoes() {
        long now = EventClock.start().toEpochMilli();
        Map<String, Object> multiLine = event("sync", now);
        multiLine.put("errorMessage", "Timeout\n\tat Sync.run(Sync.java:42)");

        JsonPath answer = post(List.of(
                multiLine,
                with(event("sync", now), "errorMessage", "\r\n"),
                with(event("sync", now), "errorCode", "\t"),
                with(event("upload", now), "table", "\n")));

        assertThat(answer.getInt("accepted")).isEqualTo(1);
        assertThat(answer.getList("rejected.code", String.class)).containsOnly("INVALID_CHARACTER");
        assertThat(answer.getList("rejected.reason", String.class))
                .satisfiesExactly(
                        r -> assertThat(r).startsWith("errorMessage contains the character U+000D"),
                        r -> assertThat(r).startsWith("errorCode contains the character U+0009"),
                        r -> assertThat(r).startsWith("table contains the character U+000A"));
    }

    @Test
    void anUnpairedSurrogateEscapedInTheJsonIsRefused() {
        long now = EventClock.start().toEpochMilli();
        String body = "{\"events\": [{\"type\": \"sync\", \"eventId\": \"%s\", \"eventTime\": %d,"
                        .formatted(UUID.randomUUID(), now)
                + " \"clientId\": \"c-\\ud800\", \"success\": true, \"durationMs\": 1}]}";
        given().header("Authorization", TestTokens.PRODUCER)
                .contentType(ContentType.JSON)
                .body(body)
                .when()
                .post("/api/telemetry")
                .then()
                .statusCode(200)
                .body("accepted", org.hamcrest.Matchers.equalTo(0))
                .body("rejected[0].code", org.hamcrest.Matchers.equalTo("INVALID_CHARACTER"))
                .body("rejected[0].reason", org.hamcrest.Matchers.startsWith("clientId contains the character U+D800"));
    }

    @Test
    void keysAndIdsAreBoundedAtTheDoor() {
        long now = EventClock.start().toEpochMilli();
        String key = "k".repeat(TelemetryValidator.MAX_KEY_LENGTH);
        Map<String, Object> longest = event("sync", now);
        longest.put("table", key);
        longest.put("exposures", List.of(Map.of("flagKey", key, "variant", key)));
        Map<String, Object> longTable = event("sync", now);
        longTable.put("table", key + "k");
        Map<String, Object> longFlag = event("upload", now);
        longFlag.put("exposures", List.of(Map.of("flagKey", key + "k", "variant", "on")));
        Map<String, Object> longClient = event("upload", now);
        longClient.put("clientId", "c".repeat(257));
        Map<String, Object> longMessage = event("upload", now);
        longMessage.put("errorMessage", "m".repeat(2049));

        JsonPath answer = post(List.of(longest, longTable, longFlag, longClient, longMessage));

        assertThat(answer.getInt("accepted")).isEqualTo(1);
        assertThat(answer.getList("rejected.code", String.class)).containsOnly("OVERSIZED_FIELD");
        assertThat(answer.getList("rejected.reason", String.class))
                .containsExactly(
                        "table is longer than 128 characters",
                        "exposures[0].flagKey is longer than 128 characters",
                        "clientId is longer than 256 characters",
                        "errorMessage is longer than 2048 characters");
    }
}
