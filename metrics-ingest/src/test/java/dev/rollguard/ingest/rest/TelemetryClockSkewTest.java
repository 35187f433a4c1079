package dev.rollguard.ingest.rest;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import dev.rollguard.infra.InfraTestResource;
import dev.rollguard.ingest.EventClock;
import dev.rollguard.ingest.KafkaTestClient;
import dev.rollguard.ingest.TestTokens;
import dev.rollguard.schemas.Topics;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.serde.AvroCodec;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A device whose clock is off stamps its batch with that clock ({@code sentAt}); the intake moves the batch's event
 * times by the difference to its own clock before it checks and produces them.
 */
@QuarkusTest
@QuarkusTestResource(
        value = InfraTestResource.class,
        initArgs = @ResourceArg(name = InfraTestResource.KAFKA_STREAMS, value = "true"))
class TelemetryClockSkewTest {

    static final long TEN_MINUTES = Duration.ofMinutes(10).toMillis();

    @Inject
    MeterRegistry registry;

    static Map<String, Object> sync(String eventId, String table, long time) {
        Map<String, Object> event = new HashMap<>();
        event.put("type", "sync");
        event.put("eventId", eventId);
        event.put("eventTime", time);
        event.put("clientId", "skewed-" + UUID.randomUUID());
        event.put("platform", "IOS");
        event.put("table", table);
        event.put("success", true);
        event.put("durationMs", 120);
        return event;
    }

    static Map<String, Object> batch(Object sentAt, List<Map<String, Object>> events) {
        Map<String, Object> batch = new HashMap<>();
        batch.put("events", events);
        if (sentAt != null) {
            batch.put("sentAt", sentAt);
        }
        return batch;
    }

    static SyncEvent produced(String eventId) {
        var records = KafkaTestClient.await(
                Topics.TELEMETRY_SYNC,
                r -> AvroCodec.of(SyncEvent.class)
                        .decode(r.value())
                        .getEventId()
                        .equals(eventId),
                found -> !found.isEmpty(),
                Duration.ofSeconds(10));
        return AvroCodec.of(SyncEvent.class).decode(records.get(0).value());
    }

    double corrected() {
        Counter counter = registry.find("rollguard.ingest.clock.corrected").counter();
        return counter == null ? 0 : counter.count();
    }

    long offsets(String clock) {
        DistributionSummary summary = registry.find("rollguard.ingest.clock.offset")
                .tag("clock", clock)
                .summary();
        return summary == null ? 0 : summary.count();
    }

    @Test
    void eventsOfAClockTenMinutesAheadAreAcceptedAndCountedAtTheReceiversTime() {
        // The events land in the windows of the present: let the wall clock pass the windows other tests closed.
        Instant present = EventClock.start();
        Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .until(() -> System.currentTimeMillis() > present.toEpochMilli());
        String table = "skew-" + UUID.randomUUID();
        String now = UUID.randomUUID().toString();
        String earlier = UUID.randomUUID().toString();
        double correctedBefore = corrected();
        long aheadBefore = offsets("ahead");

        long before = System.currentTimeMillis();
        long deviceNow = before + TEN_MINUTES;
        given().header("Authorization", TestTokens.PRODUCER)
                .contentType(ContentType.JSON)
                .body(batch(
                        Instant.ofEpochMilli(deviceNow).toString(),
                        List.of(sync(now, table, deviceNow), sync(earlier, "skew-other", deviceNow - 30_000))))
                .when()
                .post("/api/telemetry")
                .then()
                .statusCode(200)
                .body("accepted", equalTo(2));
        long after = System.currentTimeMillis();

        // The event made as the batch was sent has the receiver's time of arrival; the other keeps its 30 s before.
        long nowTime = produced(now).getEventTime().toEpochMilli();
        assertThat(nowTime).isBetween(before, after);
        assertThat(produced(earlier).getEventTime().toEpochMilli()).isEqualTo(nowTime - 30_000);
        assertThat(corrected() - correctedBefore).isEqualTo(2.0);
        assertThat(offsets("ahead") - aheadBefore).isEqualTo(1);

        // Counted in the windows of the receiver's present, ten minutes before the device's.
        Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().header(
                        "Authorization", TestTokens.ADMIN)
                .queryParam("table", table)
                .queryParam("from", Instant.ofEpochMilli(before - 60_000).toString())
                .queryParam("to", Instant.ofEpochMilli(after + 60_000).toString())
                .when()
                .get("/api/health-report")
                .then()
                .statusCode(200)
                .body("totalSyncs", equalTo(1)));
    }

    @Test
    void withoutSentAtAnEventTenMinutesAheadIsStillRefused() {
        long deviceNow = System.currentTimeMillis() + TEN_MINUTES;
        double correctedBefore = corrected();

        given().header("Authorization", TestTokens.PRODUCER)
                .contentType(ContentType.JSON)
                .body(batch(null, List.of(sync(UUID.randomUUID().toString(), "skew", deviceNow))))
                .when()
                .post("/api/telemetry")
                .then()
                .statusCode(200)
                .body("accepted", equalTo(0))
                .body("rejected.code", contains("FUTURE_TIMESTAMP"));
        assertThat(corrected()).isEqualTo(correctedBefore);
    }

    @Test
    void aClockTenMinutesBehindHasItsEventsMovedForward() {
        String id = UUID.randomUUID().toString();
        long before = System.currentTimeMillis();
        long deviceNow = before - TEN_MINUTES;
        long behindBefore = offsets("behind");

        given().header("Authorization", TestTokens.PRODUCER)
                .contentType(ContentType.JSON)
                .body(batch(deviceNow, List.of(sync(id, "skew", deviceNow - 1_000))))
                .when()
                .post("/api/telemetry")
                .then()
                .statusCode(200)
                .body("accepted", equalTo(1));
        long after = System.currentTimeMillis();

        assertThat(produced(id).getEventTime().toEpochMilli()).isBetween(before - 1_000, after - 1_000);
        assertThat(offsets("behind") - behindBefore).isEqualTo(1);
    }

    @Test
    void aSmallOffsetMovesNothing() {
        String id = UUID.randomUUID().toString();
        long now = System.currentTimeMillis();
        long eventTime = now - 5_000;
        double correctedBefore = corrected();

        // One second of latency and drift: within the 2 s threshold.
        given().header("Authorization", TestTokens.PRODUCER)
                .contentType(ContentType.JSON)
                .body(batch(now - 1_000, List.of(sync(id, "skew", eventTime))))
                .when()
                .post("/api/telemetry")
                .then()
                .statusCode(200)
                .body("accepted", equalTo(1));

        assertThat(produced(id).getEventTime().toEpochMilli()).isEqualTo(eventTime);
        assertThat(corrected()).isEqualTo(correctedBefore);
    }

    /** The corrected time is what validation sees: an event too old or too far ahead after the move is refused. */
    @Test
    void theMovedTimeIsWhatIsChecked() {
        long deviceNow = System.currentTimeMillis() - TEN_MINUTES;
        long eightDays = Duration.ofDays(8).toMillis();
        long nineMinutes = Duration.ofMinutes(9).toMillis();
        long oneMinute = Duration.ofMinutes(1).toMillis();

        given().header("Authorization", TestTokens.PRODUCER)
                .contentType(ContentType.JSON)
                .body(batch(
                        deviceNow,
                        List.of(
                                // Too old on either clock.
                                sync(UUID.randomUUID().toString(), "skew", deviceNow - eightDays),
                                // A minute ago as given, nine minutes ahead once moved.
                                sync(UUID.randomUUID().toString(), "skew", deviceNow + nineMinutes),
                                sync(UUID.randomUUID().toString(), "skew", deviceNow + oneMinute))))
                .when()
                .post("/api/telemetry")
                .then()
                .statusCode(200)
                .body("accepted", equalTo(1))
                .body("rejected.index", contains(0, 1))
                .body("rejected.code", contains("EXPIRED_TIMESTAMP", "FUTURE_TIMESTAMP"))
                .body(
                        "rejected[0].reason",
                        allOf(
                                containsString("the device's eventTime " + Instant.ofEpochMilli(deviceNow - eightDays)),
                                containsString("sentAt")))
                .body("rejected[1].reason", containsString("in the future"));
    }

    @Test
    void aSentAtThatIsNotATimeRefusesTheBatch() {
        List<Map<String, Object>> events = List.of(sync(UUID.randomUUID().toString(), "skew", 1_767_225_600_000L));
        for (Object sentAt :
                List.of("yesterday", 1.5, true, "+300000000-01-01T00:00:00Z", "2026-01-01T00:00:00Z\u0000")) {
            given().header("Authorization", TestTokens.PRODUCER)
                    .contentType(ContentType.JSON)
                    .body(batch(sentAt, events))
                    .when()
                    .post("/api/telemetry")
                    .then()
                    .statusCode(400)
                    .contentType(ContentType.JSON)
                    .body("code", equalTo("VALIDATION_FAILED"))
                    .body("message", containsString("sentAt"))
                    .body("violations[0].field", equalTo("sentAt"));
        }
    }
}
