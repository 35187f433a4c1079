package dev.rollguard.ingest.topology;

import static dev.rollguard.ingest.TelemetryFixtures.sync;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.matchesRegex;

import dev.rollguard.infra.InfraTestResource;
import dev.rollguard.ingest.EventClock;
import dev.rollguard.ingest.KafkaTestClient;
import dev.rollguard.ingest.TelemetryFixtures;
import dev.rollguard.ingest.service.FlagDirectory;
import dev.rollguard.schemas.Topics;
import dev.rollguard.schemas.event.Constraint;
import dev.rollguard.schemas.event.ConstraintOperator;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.event.TargetingRule;
import dev.rollguard.schemas.serde.AvroCodec;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The running service on the real broker: events without exposures that lack an attribute their flag's rules read
 * are counted per flag and attribute, in the metrics and the health check.
 */
@QuarkusTest
@QuarkusTestResource(
        value = InfraTestResource.class,
        initArgs = @ResourceArg(name = InfraTestResource.KAFKA_STREAMS, value = "true"))
class ContextAttributesPipelineTest {

    @Inject
    FlagDirectory flags;

    static void send(SyncEvent event) {
        KafkaTestClient.send(
                Topics.TELEMETRY_SYNC,
                event.getClientId(),
                AvroCodec.of(SyncEvent.class).encode(event));
    }

    @Test
    void eventsLackingAnAttributeTheRulesReadAreCountedAndReportedPerFlagAndAttribute() {
        String flag = "by-country-" + UUID.randomUUID();
        Instant start = EventClock.start();
        TargetingRule france = TargetingRule.newBuilder()
                .setId("france")
                .setConstraints(List.of(Constraint.newBuilder()
                        .setAttribute("country")
                        .setOperator(ConstraintOperator.IN)
                        .setValues(List.of("FR"))
                        .build()))
                .setVariant("on")
                .build();
        KafkaTestClient.send(
                Topics.FLAGS_CHANGES,
                flag,
                AvroCodec.of(FlagChangedEvent.class)
                        .encode(TelemetryFixtures.flag(flag, 1, start.minusSeconds(1), 0)
                                .setRules(List.of(france))
                                .build()));
        await().atMost(Duration.ofSeconds(60)).until(() -> flags.latest(flag) != null);

        send(sync("c-fr", start, true, 10)
                .setUserId("u-fr")
                .setContext(Map.of("country", "FR"))
                .build());
        for (int i = 0; i < 2; i++) {
            send(sync("c-" + i, start, true, 10).setUserId("u-" + i).build());
        }

        String key = flag + "/country";
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> given().when()
                .get("/q/health/ready")
                .then()
                .statusCode(200)
                .body("checks.find { it.name == 'Telemetry context attributes' }.status", equalTo("UP"))
                .body("checks.find { it.name == 'Telemetry context attributes' }.data.'" + key + "'", equalTo(2)));
        given().accept("text/plain")
                .when()
                .get("/q/metrics")
                .then()
                .statusCode(200)
                .body(matchesRegex(
                        "(?s).*rollguard_ingest_context_attribute_missing_total\\{attribute=\"country\",flag=\"" + flag
                                + "\",?} 2\\.0\n.*"));
    }
}
