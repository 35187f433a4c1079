package dev.rollguard.ingest;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import dev.rollguard.infra.InfraTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** The service boots against the real broker; liveness and readiness follow the Kafka Streams state. */
@QuarkusTest
@QuarkusTestResource(
        value = InfraTestResource.class,
        initArgs = @ResourceArg(name = InfraTestResource.KAFKA_STREAMS, value = "true"))
class HealthTest {

    @Test
    void isLiveWithTheStreamsStateReported() {
        // Kafka Streams starts once the source topics are found, shortly after the boot; until then it is CREATED,
        // which the liveness check reports as DOWN (the manifests give the pod a startup probe for that time).
        Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> given().when()
                .get("/q/health/live")
                .then()
                .statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.name", hasItem("Kafka Streams state health check")));
    }

    @Test
    void becomesReadyOnceKafkaStreamsRuns() {
        Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> given().when()
                .get("/q/health/ready")
                .then()
                .statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.find { it.name == 'Kafka Streams running' }.data.state", equalTo("RUNNING"))
                .body("checks.name", hasItem(containsString("Kafka"))));
    }

    @Test
    void exposesPrometheusMetrics() {
        given().accept("text/plain")
                .when()
                .get("/q/metrics")
                .then()
                .statusCode(200)
                .contentType(containsString("text/plain"))
                .body(containsString("jvm_memory_used_bytes"));
    }
}
