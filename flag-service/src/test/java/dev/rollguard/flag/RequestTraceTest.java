package dev.rollguard.flag;

import static dev.rollguard.flag.Api.admin;
import static dev.rollguard.flag.Api.service;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.trace.TraceContext;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** X-Request-Id and traceparent on every answer, in the audit row and on the change event of every change. */
@QuarkusTest
@QuarkusTestResource(FlagServiceInfra.class)
class RequestTraceTest {

    static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";

    @Test
    void aKillKeepsTheCallersRequestIdAndTraceInItsAuditRowAndItsEvent() {
        String key = Api.key("traced");
        Api.create(Map.of("key", key, "enabled", true, "rolloutPercentage", 100));

        Response kill = service()
                .header(TraceContext.REQUEST_ID, "req-telemetry-42")
                .header(TraceContext.TRACEPARENT, "00-" + TRACE + "-00f067aa0ba902b7-01")
                .body(Map.of("reason", "failures up"))
                .post("/api/flags/" + key + "/kill");

        assertThat(kill.statusCode()).isEqualTo(200);
        assertThat(kill.header(TraceContext.REQUEST_ID)).isEqualTo("req-telemetry-42");
        assertThat(kill.header(TraceContext.TRACEPARENT)).matches("00-" + TRACE + "-[0-9a-f]{16}-01");
        JsonPath audit = admin().queryParam("flag", key).get("/api/audit").jsonPath();
        assertThat(audit.getString("find { it.action == 'KILL' }.requestId")).isEqualTo("req-telemetry-42");
        assertThat(audit.getString("find { it.action == 'KILL' }.traceId")).isEqualTo(TRACE);
        FlagChangedEvent event = FlagChanges.awaitEvent(key, 2);
        assertThat(event.getRequestId()).isEqualTo("req-telemetry-42");
        assertThat(event.getTraceId()).isEqualTo(TRACE);
    }

    @Test
    void aChangeWithoutIdsGetsFreshOnesAndAMalformedTraceparentIsReplacedNeverRefused() {
        String key = Api.key("untraced");
        Response created = admin().header(TraceContext.TRACEPARENT, "00-zz-00f067aa0ba902b7-01")
                .body(Map.of("key", key, "enabled", true, "rolloutPercentage", 100))
                .post("/api/flags");

        assertThat(created.statusCode()).isEqualTo(201);
        String requestId = created.header(TraceContext.REQUEST_ID);
        assertThat(requestId).matches("[0-9a-f-]{36}");
        String traceparent = created.header(TraceContext.TRACEPARENT);
        assertThat(traceparent).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01");
        JsonPath audit = admin().queryParam("flag", key).get("/api/audit").jsonPath();
        assertThat(audit.getString("[0].requestId")).isEqualTo(requestId);
        assertThat(audit.getString("[0].traceId")).isEqualTo(traceparent.substring(3, 35));
    }

    @Test
    void refusalsAndEvaluationsCarryTheIdsToo() {
        Response refused = io.restassured.RestAssured.given()
                .header(TraceContext.REQUEST_ID, "req-no-token")
                .get("/api/flags");
        Response missing =
                admin().header(TraceContext.REQUEST_ID, "req-missing").get("/api/flags/no-such-flag");

        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(refused.header(TraceContext.REQUEST_ID)).isEqualTo("req-no-token");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.header(TraceContext.REQUEST_ID)).isEqualTo("req-missing");
        assertThat(missing.header(TraceContext.TRACEPARENT)).isNotBlank();
    }
}
