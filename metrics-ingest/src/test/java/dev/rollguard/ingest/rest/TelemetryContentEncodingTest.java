package dev.rollguard.ingest.rest;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.infra.InfraTestResource;
import dev.rollguard.ingest.EventClock;
import dev.rollguard.ingest.KafkaTestClient;
import dev.rollguard.ingest.TestTokens;
import dev.rollguard.schemas.Topics;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.serde.AvroCodec;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.config.DecoderConfig;
import io.restassured.config.EncoderConfig;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/**
 * Compressed telemetry: {@code Content-Encoding: gzip} or {@code deflate} is decoded, with the body limit counting the
 * decoded bytes (a small body that inflates past it is refused before it is all inflated); any other coding is 415.
 */
@QuarkusTest
@QuarkusTestResource(
        value = InfraTestResource.class,
        initArgs = @ResourceArg(name = InfraTestResource.KAFKA_STREAMS, value = "true"))
class TelemetryContentEncodingTest {

    static final HttpClient HTTP =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    interface Compressor {
        OutputStream wrap(OutputStream out) throws IOException;
    }

    static byte[] compress(byte[] plain, Compressor compressor) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream zipped = compressor.wrap(out)) {
            zipped.write(plain);
        }
        return out.toByteArray();
    }

    static byte[] batch(String eventId) throws IOException {
        return new ObjectMapper()
                .writeValueAsBytes(Map.of(
                        "events",
                        List.of(TelemetryResourceTest.syncJson(
                                eventId, EventClock.start().toEpochMilli()))));
    }

    /** RestAssured as is, without its own content-encoding handling of the request and the answer. */
    static RequestSpecification raw() {
        return given().config(RestAssured.config()
                        .encoderConfig(EncoderConfig.encoderConfig()
                                .appendDefaultContentCharsetToContentTypeIfUndefined(false))
                        .decoderConfig(DecoderConfig.decoderConfig().noContentDecoders()))
                .header("Authorization", TestTokens.PRODUCER)
                .contentType(ContentType.JSON);
    }

    @Test
    void aGzippedBatchIsDecodedAndItsEventsProduced() throws Exception {
        String eventId = UUID.randomUUID().toString();
        raw().header("Content-Encoding", "gzip")
                .body(compress(batch(eventId), GZIPOutputStream::new))
                .when()
                .post("/api/telemetry")
                .then()
                .statusCode(200)
                .body("accepted", equalTo(1));
        var produced = KafkaTestClient.await(
                Topics.TELEMETRY_SYNC,
                r -> AvroCodec.of(SyncEvent.class)
                        .decode(r.value())
                        .getEventId()
                        .equals(eventId),
                found -> !found.isEmpty(),
                Duration.ofSeconds(10));
        assertThat(produced).hasSize(1);
    }

    @Test
    void deflateAndIdentityAreAcceptedAndTheNameIgnoresCase() throws Exception {
        raw().header("Content-Encoding", "Deflate")
                .body(compress(batch(UUID.randomUUID().toString()), DeflaterOutputStream::new))
                .when()
                .post("/api/telemetry")
                .then()
                .statusCode(200)
                .body("accepted", equalTo(1));
        raw().header("Content-Encoding", "identity")
                .body(batch(UUID.randomUUID().toString()))
                .when()
                .post("/api/telemetry")
                .then()
                .statusCode(200)
                .body("accepted", equalTo(1));
    }

    /** 100 MB of JSON in about 100 KB of gzip: refused at the limit, announced or chunked. */
    @Test
    void aGzipBombIsRefusedAsTooLarge() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream zipped = new GZIPOutputStream(out)) {
            zipped.write("{\"events\": [], \"padding\": \"".getBytes(StandardCharsets.UTF_8));
            byte[] spaces = " ".repeat(1024 * 1024).getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < 100; i++) {
                zipped.write(spaces);
            }
            zipped.write("\"}".getBytes(StandardCharsets.UTF_8));
        }
        byte[] bomb = out.toByteArray();
        assertThat(bomb.length).isLessThan(1024 * 1024);
        raw().header("Content-Encoding", "gzip")
                .body(bomb)
                .when()
                .post("/api/telemetry")
                .then()
                .statusCode(413)
                .body("code", equalTo("PAYLOAD_TOO_LARGE"))
                .body("message", containsString("decoded"));
        HttpResponse<String> chunked = HTTP.send(
                HttpRequest.newBuilder(URI.create(RestAssured.baseURI + ":" + RestAssured.port + "/api/telemetry"))
                        .header("Authorization", TestTokens.PRODUCER)
                        .header("Content-Type", "application/json")
                        .header("Content-Encoding", "gzip")
                        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bomb)))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(chunked.statusCode()).isEqualTo(413);
        assertThat(chunked.body()).contains("PAYLOAD_TOO_LARGE");
    }

    @Test
    void otherCodingsAre415NamingTheOnesAccepted() throws Exception {
        for (String coding : List.of("br", "zstd", "compress", "x-unknown", "gzip, gzip")) {
            raw().header("Content-Encoding", coding)
                    .body(batch(UUID.randomUUID().toString()))
                    .when()
                    .post("/api/telemetry")
                    .then()
                    .statusCode(415)
                    .body("code", equalTo("UNSUPPORTED_MEDIA_TYPE"))
                    .body("message", containsString("gzip"))
                    .body("message", containsString("deflate"));
        }
    }

    /** Repeated Content-Encoding lines are one list (RFC 9110 5.3): each line counts, not only the first. */
    @Test
    void everyContentEncodingLineCounts() throws Exception {
        byte[] gzipped = compress(batch(UUID.randomUUID().toString()), GZIPOutputStream::new);
        HttpResponse<String> twoCodings = post(gzipped, "gzip", "br");
        assertThat(twoCodings.statusCode()).isEqualTo(415);
        assertThat(twoCodings.body()).contains("UNSUPPORTED_MEDIA_TYPE", "gzip, br");
        HttpResponse<String> identityFirst = post(gzipped, "identity", "gzip");
        assertThat(identityFirst.statusCode()).isEqualTo(200);
        assertThat(identityFirst.body()).contains("\"accepted\":1");
        for (String emptyElement : List.of(",gzip", "gzip,")) {
            HttpResponse<String> answer =
                    post(compress(batch(UUID.randomUUID().toString()), GZIPOutputStream::new), emptyElement);
            assertThat(answer.statusCode()).as(emptyElement).isEqualTo(200);
        }
    }

    /** A POST of {@code body} with one Content-Encoding line per coding. */
    private static HttpResponse<String> post(byte[] body, String... codings) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(
                        URI.create(RestAssured.baseURI + ":" + RestAssured.port + "/api/telemetry"))
                .header("Authorization", TestTokens.PRODUCER)
                .header("Content-Type", "application/json");
        for (String coding : codings) {
            request.header("Content-Encoding", coding);
        }
        return HTTP.send(
                request.POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aBodyThatIsNotWhatItsCodingSaysIs400() throws Exception {
        raw().header("Content-Encoding", "gzip")
                .body(batch(UUID.randomUUID().toString()))
                .when()
                .post("/api/telemetry")
                .then()
                .statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED"))
                .body("message", equalTo("body: is not valid gzip data (Content-Encoding: gzip)"));
        byte[] truncated = compress(batch(UUID.randomUUID().toString()), GZIPOutputStream::new);
        raw().header("Content-Encoding", "gzip")
                .body(java.util.Arrays.copyOf(truncated, truncated.length - 12))
                .when()
                .post("/api/telemetry")
                .then()
                .statusCode(400)
                .body("message", equalTo("body: is not valid gzip data (Content-Encoding: gzip)"));
        byte[] garbage = "GARBAGE".getBytes(StandardCharsets.US_ASCII);
        for (String coding : List.of("gzip", "deflate")) {
            byte[] compressed = compress(
                    batch(UUID.randomUUID().toString()),
                    coding.equals("gzip") ? GZIPOutputStream::new : DeflaterOutputStream::new);
            raw().header("Content-Encoding", coding)
                    .body(ByteBuffer.allocate(compressed.length + garbage.length)
                            .put(compressed)
                            .put(garbage)
                            .array())
                    .when()
                    .post("/api/telemetry")
                    .then()
                    .statusCode(400)
                    .body("code", equalTo("VALIDATION_FAILED"))
                    .body(
                            "message",
                            equalTo("body: has bytes after its " + coding + " data ends (Content-Encoding: " + coding
                                    + ")"));
        }
    }
}
