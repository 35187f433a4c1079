package dev.rollguard.rollback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rollguard.infra.InfraTestResource;
import dev.rollguard.rollback.testing.Alerts;
import dev.rollguard.rollback.testing.Api;
import dev.rollguard.rollback.testing.FakeFlagService;
import dev.rollguard.rollback.testing.FakeFlagService.Call;
import dev.rollguard.rollback.testing.FakeFlagServiceResource;
import dev.rollguard.rollback.testing.InjectFakeFlagService;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.Exemplar;
import dev.rollguard.schemas.event.RollbackActionEvent;
import dev.rollguard.schemas.trace.TraceContext;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import io.smallrye.reactive.messaging.kafka.companion.ConsumerTask;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Request ids and trace context on the API, and from the alert's exemplars to the flag-service call it causes. */
@QuarkusTest
@QuarkusTestResource(
        value = InfraTestResource.class,
        initArgs = @ResourceArg(name = InfraTestResource.DATABASE, value = "rollguard_rollbacks"))
@QuarkusTestResource(FakeFlagServiceResource.class)
class RequestTraceTest {

    static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";

    @InjectFakeFlagService
    FakeFlagService flagService;

    private ConsumerTask<String, RollbackActionEvent> rollbacks;

    @BeforeEach
    void readRollbacks() {
        rollbacks = Alerts.rollbacks();
    }

    @AfterEach
    void stopReading() {
        rollbacks.close();
    }

    @Test
    void theKillCarriesTheRequestIdAndTraceOfTheAlertsFirstExemplar() {
        String flag = "flag-" + UUID.randomUUID();
        flagService.define(flag, "KILL");
        AlertEvent alert = Alerts.critical(flag).build();
        alert.setExemplars(List.of(
                Exemplar.newBuilder()
                        .setEventId("untraced")
                        .setEventTime(Instant.parse("2026-02-03T10:00:00Z"))
                        .build(),
                Exemplar.newBuilder()
                        .setEventId("e1")
                        .setEventTime(Instant.parse("2026-02-03T10:00:01Z"))
                        .setRequestId("req-telemetry-1")
                        .setTraceId(TRACE)
                        .build()));
        String id = Alerts.actionId(alert);

        Alerts.send(alert);

        RollbackActionEvent event = awaitEvent(id);
        assertThat(event.getRequestId()).isEqualTo("req-telemetry-1");
        assertThat(event.getTraceId()).isEqualTo(TRACE);
        assertThat(flagService.writes(flag)).singleElement().satisfies(call -> {
            assertThat(call.requestId()).isEqualTo("req-telemetry-1");
            assertThat(call.traceparent()).matches("00-" + TRACE + "-[0-9a-f]{16}-01");
        });
        JsonPath stored = Api.rollback(id);
        assertThat(stored.getString("requestId")).isEqualTo("req-telemetry-1");
        assertThat(stored.getString("traceId")).isEqualTo(TRACE);
    }

    @Test
    void anAlertWithoutExemplarsStillGivesItsActionIdsOfItsOwn() {
        String flag = "flag-" + UUID.randomUUID();
        flagService.define(flag, "KILL");
        AlertEvent alert = Alerts.critical(flag).build();

        Alerts.send(alert);

        RollbackActionEvent event = awaitEvent(Alerts.actionId(alert));
        assertThat(event.getRequestId()).isNotBlank();
        assertThat(TraceContext.validTraceId(event.getTraceId())).isTrue();
        Call kill = flagService.writes(flag).get(0);
        assertThat(kill.requestId()).isEqualTo(event.getRequestId());
        assertThat(kill.traceparent()).contains(event.getTraceId());
    }

    @Test
    void theApiEchoesTheCallersIdsAndReplacesAMalformedTraceparent() {
        Response given = Api.asAdmin()
                .header(TraceContext.REQUEST_ID, "req-rollbacks-1")
                .header(TraceContext.TRACEPARENT, "00-" + TRACE + "-00f067aa0ba902b7-01")
                .get("/api/rollbacks");
        Response malformed = Api.asAdmin()
                .header(TraceContext.TRACEPARENT, "00-" + TRACE + "-0000000000000000-01")
                .get("/api/rollbacks/does-not-exist");

        assertThat(given.statusCode()).isEqualTo(200);
        assertThat(given.header(TraceContext.REQUEST_ID)).isEqualTo("req-rollbacks-1");
        assertThat(given.header(TraceContext.TRACEPARENT)).matches("00-" + TRACE + "-[0-9a-f]{16}-01");
        assertThat(malformed.statusCode()).isEqualTo(404);
        assertThat(malformed.header(TraceContext.REQUEST_ID)).matches("[0-9a-f-]{36}");
        assertThat(malformed.header(TraceContext.TRACEPARENT))
                .matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01")
                .doesNotContain(TRACE);
    }

    private RollbackActionEvent awaitEvent(String actionId) {
        await().atMost(Duration.ofSeconds(20))
                .until(() -> !Alerts.eventsOf(rollbacks, actionId).isEmpty());
        return Alerts.eventsOf(rollbacks, actionId).get(0);
    }
}
