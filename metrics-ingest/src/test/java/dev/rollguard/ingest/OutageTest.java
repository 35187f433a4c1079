package dev.rollguard.ingest;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rollguard.infra.InfraTestResource;
import dev.rollguard.infra.OutageTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** With its own broker really stopped, readiness keeps answering within 2 s, and says the service is not ready. */
@QuarkusTest
@TestProfile(OutageTest.OwnInfra.class)
class OutageTest {

    /** A broker of this test's own, and none of the other tests' resources. */
    public static class OwnInfra implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(
                    new TestResourceEntry(OutageTestResource.class, Map.of(InfraTestResource.KAFKA_STREAMS, "true")));
        }

        @Override
        public boolean disableGlobalTestResources() {
            return true;
        }

        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("metrics-ingest.intake.ack-timeout", "4s");
        }
    }

    static Response timedReadiness() {
        long start = System.nanoTime();
        Response response = given().get("/q/health/ready");
        assertThat(Duration.ofNanos(System.nanoTime() - start))
                .as("readiness answered in")
                .isLessThan(Duration.ofSeconds(2));
        return response;
    }

    @Test
    void readinessAnswersWithinTwoSecondsWhileKafkaIsDown() {
        await().atMost(Duration.ofSeconds(90))
                .untilAsserted(() -> given().get("/q/health/ready").then().statusCode(200));
        OutageTestResource.stopKafka();
        try {
            await().atMost(Duration.ofSeconds(60))
                    .untilAsserted(() -> timedReadiness().then().statusCode(503));
            for (int i = 0; i < 3; i++) {
                timedReadiness().then().statusCode(503);
            }
            intakeAnswers503WithinTheAckTimeout();
        } finally {
            OutageTestResource.startKafka();
        }
    }

    /**
     * A batch posted while the broker is away, before the intake ever sent to the telemetry topics (no metadata to
     * send with): answered 503 once the ack timeout (4 s here) is spent, not after the producer's default minute for
     * each of its events.
     */
    private static void intakeAnswers503WithinTheAckTimeout() {
        long now = System.currentTimeMillis();
        List<Object> events = new java.util.ArrayList<>();
        for (int i = 0; i < 20; i++) {
            events.add(Map.of(
                    "type",
                    i % 2 == 0 ? "sync" : "upload",
                    "eventId",
                    "outage-" + i,
                    "eventTime",
                    now,
                    "clientId",
                    "outage-client-" + i,
                    "success",
                    true,
                    "durationMs",
                    10));
        }
        long start = System.nanoTime();
        given().header("Authorization", TestTokens.PRODUCER)
                .contentType(io.restassured.http.ContentType.JSON)
                .body(Map.of("events", events))
                .when()
                .post("/api/telemetry")
                .then()
                .statusCode(503)
                .body("code", org.hamcrest.Matchers.equalTo("UNAVAILABLE"));
        assertThat(Duration.ofNanos(System.nanoTime() - start))
                .as("a generous bound: the ack timeout twice, far below a minute an event")
                .isLessThan(Duration.ofSeconds(20));
    }
}
