package dev.rollguard.ingest.rest;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.infra.InfraTestResource;
import dev.rollguard.ingest.EventClock;
import dev.rollguard.ingest.KafkaTestClient;
import dev.rollguard.ingest.TestTokens;
import dev.rollguard.schemas.Topics;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.serde.AvroCodec;
import dev.rollguard.schemas.trace.TraceContext;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** X-Request-Id and traceparent on every answer, and on the telemetry they carry into Kafka. */
@QuarkusTest
@QuarkusTestResource(
        value = InfraTestResource.class,
        initArgs = @ResourceArg(name = InfraTestResource.KAFKA_STREAMS, value = "true"))
class RequestTraceTest {

    static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    static final String PARENT = "00-" + TRACE + "-00f067aa0ba902b7-01";

    @Test
    void theCallersIdsAreEchoedAndTravelWithTheEventsIntoKafka() {
        String eventId = UUID.randomUUID().toString();
        Response answer = given().header("Authorization", TestTokens.PRODUCER)
                .header(TraceContext.REQUEST_ID, "req-ingest-1")
                .header(TraceContext.TRACEPARENT, PARENT)
                .contentType(ContentType.JSON)
                .body(Map.of("events", List.of(TelemetryResourceTest.syncJson(eventId, now()))))
                .post("/api/telemetry");

        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.header(TraceContext.REQUEST_ID)).isEqualTo("req-ingest-1");
        assertThat(answer.header(TraceContext.TRACEPARENT))
                .matches("00-" + TRACE + "-[0-9a-f]{16}-01")
                .isNotEqualTo(PARENT);
        ConsumerRecord<String, byte[]> sent = KafkaTestClient.await(
                        Topics.TELEMETRY_SYNC,
                        r -> AvroCodec.of(SyncEvent.class)
                                .decode(r.value())
                                .getEventId()
                                .equals(eventId),
                        found -> !found.isEmpty(),
                        Duration.ofSeconds(10))
                .get(0);
        assertThat(header(sent, TraceContext.REQUEST_ID)).isEqualTo("req-ingest-1");
        assertThat(header(sent, TraceContext.TRACEPARENT)).isEqualTo(answer.header(TraceContext.TRACEPARENT));
    }

    @Test
    void idsAreCreatedWhenAbsentAndAMalformedTraceparentIsReplacedNeverRefused() {
        Response created = given().header("Authorization", TestTokens.PRODUCER)
                .contentType(ContentType.JSON)
                .body(Map.of("events", List.of()))
                .post("/api/telemetry");
        Response malformed = given().header("Authorization", TestTokens.PRODUCER)
                .header(TraceContext.TRACEPARENT, "00-not-a-trace-01")
                .header(TraceContext.REQUEST_ID, "has spaces in it")
                .contentType(ContentType.JSON)
                .body(Map.of("events", List.of()))
                .post("/api/telemetry");

        for (Response answer : List.of(created, malformed)) {
            assertThat(answer.statusCode()).isEqualTo(200);
            assertThat(answer.header(TraceContext.REQUEST_ID)).matches("[0-9a-f-]{36}");
            assertThat(answer.header(TraceContext.TRACEPARENT)).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01");
        }
        assertThat(created.header(TraceContext.REQUEST_ID)).isNotEqualTo(malformed.header(TraceContext.REQUEST_ID));
    }

    @Test
    void refusalsAndOperationalEndpointsCarryTheIdsToo() {
        Response refused = given().header(TraceContext.REQUEST_ID, "req-no-token")
                .contentType(ContentType.JSON)
                .body(Map.of("events", List.of()))
                .post("/api/telemetry");
        Response health = given().header(TraceContext.REQUEST_ID, "req-health").get("/q/health/live");

        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(refused.header(TraceContext.REQUEST_ID)).isEqualTo("req-no-token");
        assertThat(health.header(TraceContext.REQUEST_ID)).isEqualTo("req-health");
    }

    private static long now() {
        return EventClock.start().toEpochMilli();
    }

    private static String header(ConsumerRecord<String, byte[]> record, String name) {
        var header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
