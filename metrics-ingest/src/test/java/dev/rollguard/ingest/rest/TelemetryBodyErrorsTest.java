package dev.rollguard.ingest.rest;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.infra.InfraTestResource;
import dev.rollguard.ingest.EventClock;
import dev.rollguard.ingest.TestTokens;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.io.ByteArrayOutputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A telemetry body the service cannot read is refused in the product's words, with where the reader stopped: never
 * the JSON parser's own message (its class names, limits, token dumps), which tells a client author nothing they can
 * act on.
 */
@QuarkusTest
@QuarkusTestResource(
        value = InfraTestResource.class,
        initArgs = @ResourceArg(name = InfraTestResource.KAFKA_STREAMS, value = "true"))
class TelemetryBodyErrorsTest {

    private static JsonPath refused(byte[] body) {
        JsonPath answer = given().header("Authorization", TestTokens.PRODUCER)
                .contentType(ContentType.JSON)
                .body(body)
                .when()
                .post("/api/telemetry")
                .then()
                .statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED"))
                .body("violations.field", contains("body"))
                .extract()
                .jsonPath();
        assertThat(answer.getString("message"))
                .as("no parser internals")
                .doesNotContain("Source", "REDACTED", "StreamRead", "CTRL-CHAR", "Unrecognized", "expecting")
                .doesNotContain("Unexpected", "marker", "Illegal", "Invalid UTF-8", "getMax", "`");
        return answer;
    }

    private static JsonPath refused(String body) {
        return refused(body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aBodyThatEndsTooEarlySaysSo() {
        assertThat(refused("{\"events\":[").getString("message"))
                .isEqualTo("body: is not valid JSON: the body ends before the JSON does (line 1, column 12)");
    }

    @Test
    void aBodyThatIsNotJsonSaysWhere() {
        assertThat(refused("{\"events\": [x]}").getString("message"))
                .isEqualTo("body: is not valid JSON (line 1, column 13)");
        assertThat(refused("events=1").getString("message")).isEqualTo("body: is not valid JSON (line 1, column 1)");
    }

    @Test
    void aBodyNestedTooDeeplySaysHowDeepItMayGo() {
        String deep = "{\"events\": [], \"x\": " + "[".repeat(3000) + "]".repeat(3000) + "}";
        // The reader reports no location for a limit it enforces.
        assertThat(refused(deep).getString("message"))
                .isEqualTo("body: is not valid JSON: it is nested deeper than 1000 levels");
    }

    @Test
    void aBodyThatIsNotUtf8SaysSo() {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes("{\"events\": [], \"x\": \"caf".getBytes(StandardCharsets.UTF_8));
        body.write(0xff);
        body.writeBytes("\"}".getBytes(StandardCharsets.UTF_8));
        assertThat(refused(body.toByteArray()).getString("message"))
                .startsWith("body: is not valid JSON: it is not valid UTF-8 (line 1, column ");
    }

    /**
     * The contract is UTF-8 JSON: UTF-16 and UTF-32 (which the parser would read), a code point above U+10FFFF and a
     * sequence cut short inside a key are each said to be not UTF-8, not read nor called something else.
     */
    @Test
    void everyBodyThatIsNotUtf8IsSaidToBeSo() {
        String batch = "{\"events\": []}";
        for (Charset other : List.of(
                StandardCharsets.UTF_16,
                StandardCharsets.UTF_16LE,
                StandardCharsets.UTF_16BE,
                Charset.forName("UTF-32LE"),
                Charset.forName("UTF-32BE"))) {
            assertThat(refused(batch.getBytes(other)).getString("message"))
                    .as(other.name())
                    .startsWith("body: is not valid JSON: it is not UTF-8");
        }
        byte[] aboveUnicode = {
            '{',
            '"',
            'e',
            'v',
            'e',
            'n',
            't',
            's',
            '"',
            ':',
            '[',
            ']',
            ',',
            '"',
            'x',
            '"',
            ':',
            '"',
            (byte) 0xf4,
            (byte) 0x90,
            (byte) 0x80,
            (byte) 0x80,
            '"',
            '}'
        };
        assertThat(refused(aboveUnicode).getString("message"))
                .isEqualTo("body: is not valid JSON: it is not valid UTF-8 (line 1, column 19)");
        byte[] cutInAKey = {
            '{', '"', 'e', 'v', 'e', 'n', 't', 's', '"', ':', '[', ']', ',', '"', (byte) 0xc3, '"', ':', '1', '}'
        };
        assertThat(refused(cutInAKey).getString("message"))
                .isEqualTo("body: is not valid JSON: it is not valid UTF-8 (line 1, column 15)");
    }

    @Test
    void aControlCharacterInAStringSaysItMustBeEscaped() {
        assertThat(refused("{\"events\": [], \"x\": \"a\u001fb\"}").getString("message"))
                .isEqualTo("body: is not valid JSON: a string holds the control character U+001F, which JSON"
                        + " requires escaped (line 1, column 23)");
        assertThat(refused("{\"events\": []\u0001}").getString("message"))
                .isEqualTo("body: is not valid JSON: the control character U+0001 outside a string (line 1, column"
                        + " 15)");
    }

    @Test
    void aRepeatedKeyIsNamed() {
        assertThat(refused("{\"events\": [], \"events\": []}").getString("message"))
                .isEqualTo("body: is not valid JSON: the key 'events' appears twice (line 1, column 24)");
    }

    /**
     * A whole number too large or too small for the event's field is refused for its size, as a larger one over the
     * field's bound is; calling {@code 1e20} not a whole number would send its author looking for a fraction.
     */
    @Test
    void aWholeNumberBeyondItsFieldSaysHowLargeItMayBe() {
        JsonPath answer = posted("1e20", "100000000000000000000", "-1e20", "1.5");
        assertThat(answer.getInt("accepted")).isZero();
        assertThat(answer.getList("rejected.code"))
                .containsExactly("OVERSIZED_FIELD", "OVERSIZED_FIELD", "OVERSIZED_FIELD", "INVALID_FIELD");
        assertThat(answer.getString("rejected[0].reason")).isEqualTo("durationMs must be at most " + Long.MAX_VALUE);
        assertThat(answer.getString("rejected[1].reason")).isEqualTo("durationMs must be at most " + Long.MAX_VALUE);
        assertThat(answer.getString("rejected[2].reason")).isEqualTo("durationMs must be at least " + Long.MIN_VALUE);
        assertThat(answer.getString("rejected[3].reason")).isEqualTo("durationMs must be a whole number");
    }

    /**
     * A whole number written with an exponent or a fraction of zeros is that number; beyond 2^53 the parser's double
     * may not be the number written, and the answer says so.
     */
    @Test
    void aWholeNumberWrittenWithAnExponentOrZeroFractionIsAccepted() {
        JsonPath answer = posted("1e2", "1.0", "0.0", "2.50e1", "1e17");
        assertThat(answer.getInt("accepted")).isEqualTo(4);
        assertThat(answer.getList("rejected.index")).containsExactly(4);
        assertThat(answer.getString("rejected[0].reason"))
                .startsWith(
                        "durationMs must be written without a fraction or an exponent when beyond 9007199254740992");
    }

    /** A batch of one sync event per value of {@code durationMs}, as the service answers it. */
    private static JsonPath posted(String... durations) {
        long now = EventClock.start().toEpochMilli();
        String event = "{\"type\": \"sync\", \"eventId\": \"%s\", \"eventTime\": " + now
                + ", \"clientId\": \"c\", \"success\": true, \"durationMs\": %s}";
        String batch = Arrays.stream(durations)
                .map(d -> event.formatted(UUID.randomUUID(), d))
                .collect(Collectors.joining(", ", "{\"events\": [", "]}"));
        return given().header("Authorization", TestTokens.PRODUCER)
                .contentType(ContentType.JSON)
                .body(batch)
                .when()
                .post("/api/telemetry")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
    }

    /**
     * Fields the service does not know are ignored, so that a newer client's events reach an older service (the
     * README says so, and that a misspelled optional field is lost with them).
     */
    @Test
    void unknownEventFieldsAreIgnored() throws Exception {
        Map<String, Object> event = new HashMap<>(TelemetryResourceTest.syncJson(
                UUID.randomUUID().toString(), EventClock.start().toEpochMilli()));
        event.put("fieldOfANewerClient", Map.of("nested", 1));
        given().header("Authorization", TestTokens.PRODUCER)
                .contentType(ContentType.JSON)
                .body(new ObjectMapper().writeValueAsString(Map.of("events", java.util.List.of(event))))
                .when()
                .post("/api/telemetry")
                .then()
                .statusCode(200)
                .body("accepted", equalTo(1));
    }
}
