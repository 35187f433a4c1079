package dev.rollguard.alert.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import dev.rollguard.alert.support.AlertTestResource;
import dev.rollguard.alert.support.Api;
import dev.rollguard.alert.support.Rules;
import dev.rollguard.alert.support.TestKafka;
import dev.rollguard.alert.support.Windows;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.AlertStatus;
import dev.rollguard.schemas.event.Exemplar;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import dev.rollguard.schemas.trace.TraceContext;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** Request ids and trace context on the API, and the windows' exemplar ids on the alerts they cause. */
@QuarkusTest
@QuarkusTestResource(AlertTestResource.class)
class RequestTraceTest {

    static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";

    @Test
    void theApiEchoesTheCallersIdsCreatesMissingOnesAndReplacesAMalformedTraceparent() {
        Response given = Api.reader()
                .header(TraceContext.REQUEST_ID, "req-alerts-1")
                .header(TraceContext.TRACEPARENT, "00-" + TRACE + "-00f067aa0ba902b7-01")
                .get("/api/alerts");
        Response malformed = Api.reader()
                .header(TraceContext.TRACEPARENT, "00-" + TRACE.toUpperCase() + "-00f067aa0ba902b7-01")
                .get("/api/alerts");
        Response refused = io.restassured.RestAssured.given()
                .header(TraceContext.REQUEST_ID, "req-no-token")
                .get("/api/alerts");

        assertThat(given.statusCode()).isEqualTo(200);
        assertThat(given.header(TraceContext.REQUEST_ID)).isEqualTo("req-alerts-1");
        assertThat(given.header(TraceContext.TRACEPARENT)).matches("00-" + TRACE + "-[0-9a-f]{16}-01");
        assertThat(malformed.statusCode()).isEqualTo(200);
        assertThat(malformed.header(TraceContext.REQUEST_ID)).matches("[0-9a-f-]{36}");
        assertThat(malformed.header(TraceContext.TRACEPARENT))
                .matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01")
                .doesNotContain(TRACE);
        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(refused.header(TraceContext.REQUEST_ID)).isEqualTo("req-no-token");
    }

    @Test
    void anAlertNamesTheFailedEventsOfTheWindowThatMadeItFire() {
        String table = "t" + UUID.randomUUID().toString().substring(0, 8);
        String rule = "traced-" + table;
        Rules.slowTable(rule, table, 120, 120);
        Instant origin = Instant.parse("2026-02-03T10:00:00Z");
        WindowMetricsEvent w0 = Windows.table(table, origin, 0, 5000);
        w0.setExemplars(List.of(exemplar("e0", origin.plusSeconds(5), "req-w0")));
        WindowMetricsEvent w1 = Windows.table(table, origin, 1, 5000);
        List<Exemplar> w1Exemplars = List.of(
                exemplar("e1", origin.plusSeconds(61), "req-w1-a"), exemplar("e2", origin.plusSeconds(62), "req-w1-b"));
        w1.setExemplars(w1Exemplars);

        TestKafka.sendWindows(w0, w1);

        await().atMost(Duration.ofSeconds(30)).until(() -> !firing(rule).isEmpty());
        AlertEvent alert = firing(rule).get(0);
        assertThat(alert.getExemplars()).isEqualTo(w1Exemplars);
        Api.reader()
                .queryParam("ruleId", rule)
                .get("/api/alerts")
                .then()
                .statusCode(200)
                .body("[0].exemplars[0].requestId", equalTo("req-w1-a"))
                .body("[0].exemplars[0].traceId", equalTo(TRACE));
    }

    private static Exemplar exemplar(String eventId, Instant time, String requestId) {
        return Exemplar.newBuilder()
                .setEventId(eventId)
                .setEventTime(time)
                .setRequestId(requestId)
                .setTraceId(TRACE)
                .build();
    }

    private static List<AlertEvent> firing(String ruleId) {
        return TestKafka.alerts().stream()
                .map(ConsumerRecord::value)
                .filter(a -> a.getRuleId().equals(ruleId) && a.getStatus() == AlertStatus.FIRING)
                .toList();
    }
}
