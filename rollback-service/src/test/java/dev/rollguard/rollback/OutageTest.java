package dev.rollguard.rollback;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import dev.rollguard.infra.InfraTestResource;
import dev.rollguard.infra.OutageTestResource;
import dev.rollguard.rollback.testing.Api;
import dev.rollguard.rollback.testing.FakeFlagServiceResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * With its own broker and PostgreSQL server really stopped: readiness keeps answering within 2 s and says what is
 * down, and the history API answers 503 UNAVAILABLE (not 500) while the database is down.
 */
@QuarkusTest
@TestProfile(OutageTest.OwnInfra.class)
class OutageTest {

    /** A broker and a database of this test's own, the fake flag-service, and none of the other tests' resources. */
    public static class OwnInfra implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(
                    new TestResourceEntry(
                            OutageTestResource.class, Map.of(InfraTestResource.DATABASE, "rollguard_rollbacks")),
                    new TestResourceEntry(FakeFlagServiceResource.class));
        }

        @Override
        public boolean disableGlobalTestResources() {
            return true;
        }
    }

    static final Duration READY_WITHIN = Duration.ofSeconds(2);

    static Response timedReadiness() {
        long start = System.nanoTime();
        Response response = given().get("/q/health/ready");
        assertThat(Duration.ofNanos(System.nanoTime() - start))
                .as("readiness answered in")
                .isLessThan(READY_WITHIN);
        return response;
    }

    @Test
    void readinessAnswersWithinTwoSecondsWhileKafkaIsDown() {
        await().atMost(Duration.ofSeconds(60))
                .untilAsserted(() -> given().get("/q/health/ready").then().statusCode(200));
        OutageTestResource.stopKafka();
        try {
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> timedReadiness()
                    .then()
                    .statusCode(503)
                    .body("checks.find { it.name == 'Kafka broker' }.status", equalTo("DOWN")));
            for (int i = 0; i < 3; i++) {
                timedReadiness().then().statusCode(503);
            }
        } finally {
            OutageTestResource.startKafka();
        }
        await().atMost(Duration.ofSeconds(60))
                .untilAsserted(() -> given().get("/q/health/ready").then().statusCode(200));
    }

    @Test
    void theHistoryAnswers503WhileTheDatabaseIsDownAndLogsNoCompletionErrors() {
        List<String> completedTwice = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                String text = record.getMessage() + " " + record.getThrown();
                if (text.contains("Result is already complete")) {
                    completedTwice.add(record.getLoggerName() + ": " + text);
                }
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        Logger.getLogger("").addHandler(capture);
        Api.asAdmin().get("/api/rollbacks").then().statusCode(200);
        OutageTestResource.stopDatabase();
        try {
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> Api.asAdmin()
                    .get("/api/rollbacks")
                    .then()
                    .statusCode(503)
                    .contentType("application/json")
                    .body("code", equalTo("UNAVAILABLE")));
            for (int i = 0; i < 20; i++) {
                Api.asAdmin().get("/api/rollbacks/fp:" + i).then().statusCode(503);
            }
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> timedReadiness()
                    .then()
                    .statusCode(503)
                    .body("checks.find { it.name.contains('PostgreSQL') }.status", equalTo("DOWN")));
            // A pool query that failed for want of a connection used to leave the pool's connection timer (30 s)
            // armed; when it fired it logged "Result is already complete". Stay down longer than that.
            await().during(Duration.ofSeconds(32))
                    .atMost(Duration.ofSeconds(60))
                    .untilAsserted(() -> assertThat(completedTwice).isEmpty());
        } finally {
            OutageTestResource.startDatabase();
        }
        await().atMost(Duration.ofSeconds(60))
                .untilAsserted(() -> Api.asAdmin().get("/api/rollbacks").then().statusCode(200));
        Logger.getLogger("").removeHandler(capture);
        assertThat(completedTwice)
                .as("log lines about a result completed twice")
                .isEmpty();
    }
}
