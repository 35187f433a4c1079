package dev.rollguard.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollguard.cli.RollguardApi;
import dev.rollguard.infra.ServiceStack;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One request id followed through the running product: telemetry posted to {@code POST /api/telemetry} with an
 * {@code X-Request-Id} and a {@code traceparent}, into the window's exemplars, the alert, the rollback action, the
 * kill the rollback-service asks of the flag-service, and that kill's audit row.
 */
class RequestTraceIT {

    private static ServiceStack stack;
    private static RollguardApi api;

    @BeforeAll
    static void startStack() {
        stack = DemoStack.start();
        api = DemoStack.api(stack);
    }

    @AfterAll
    static void stopStack() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void theRequestIdOfTheFirstBreachingTelemetryIsInTheAuditRowOfTheAutomaticKill() {
        String flag = "traced-" + UUID.randomUUID().toString().substring(0, 8);
        ObjectNode flagBody = RollguardApi.JSON
                .createObjectNode()
                .put("key", flag)
                .put("enabled", true)
                .put("rolloutPercentage", 50);
        flagBody.putObject("guardPolicy").put("action", "KILL").put("dryRun", false);
        api.createFlag(flagBody).orThrow("create flag");
        // Treatment against control, so that the rollback-service may blame the flag; it fires on the first window.
        ObjectNode rule = RollguardApi.JSON
                .createObjectNode()
                .put("id", "failing-" + flag)
                .put("name", "Treated clients of " + flag + " fail")
                .put("metric", "errorRate")
                .put("comparator", "WORSE_THAN_CONTROL")
                .put("forSeconds", 0)
                .put("minSampleSize", 5);
        rule.putObject("critical").put("threshold", 0.1);
        rule.putObject("scope").put("flagKey", flag).putArray("types").add("FLAG_COHORT");
        api.createRule(rule).orThrow("create rule");

        // Batches of telemetry, each its own request, until the guard has switched the flag off.
        Map<String, String> traceOfRequest = new LinkedHashMap<>();
        AtomicReference<JsonNode> killRow = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> {
                    killRow.set(killRow(flag));
                    if (killRow.get() == null) {
                        post(flag, traceOfRequest);
                    }
                    return killRow.get() != null;
                });

        // The audit row names one of the telemetry requests, with the trace that request came with...
        JsonNode kill = killRow.get();
        String requestId = kill.path("requestId").asText();
        assertThat(traceOfRequest).containsKey(requestId);
        assertThat(kill.path("traceId").asText()).isEqualTo(traceOfRequest.get(requestId));
        // ...the rollback action that asked for the kill carries the same ids...
        JsonNode action = api.rollbacks(flag).orThrow("rollbacks").body().get(0);
        assertThat(action.path("outcome").asText()).isEqualTo("APPLIED");
        assertThat(action.path("requestId").asText()).isEqualTo(requestId);
        assertThat(action.path("traceId").asText()).isEqualTo(traceOfRequest.get(requestId));
        // ...taken from the alert, whose first exemplar is the earliest failed event of its window that came with ids.
        JsonNode alert =
                api.alerts("ruleId=failing-" + flag).orThrow("alerts").body().get(0);
        assertThat(alert.path("exemplars").get(0).path("requestId").asText()).isEqualTo(requestId);
        assertThat(alert.path("exemplars").get(0).path("traceId").asText()).isEqualTo(traceOfRequest.get(requestId));
    }

    /** The flag's audit row of the guard's kill, or null while there is none. */
    private static JsonNode killRow(String flag) {
        for (JsonNode row : api.audit(flag).orThrow("audit").body()) {
            if ("KILL".equals(row.path("action").asText())) {
                return row;
            }
        }
        return null;
    }

    /**
     * Posts one batch under a new request id and trace: treated clients failing, control clients fine. Remembers the
     * request's trace id.
     */
    private static void post(String flag, Map<String, String> traceOfRequest) {
        String requestId = "telemetry-" + traceOfRequest.size();
        String traceId = HexFormat.of().formatHex(randomBytes(16));
        ArrayNode events = RollguardApi.JSON.createArrayNode();
        long now = System.currentTimeMillis();
        for (int i = 0; i < 10; i++) {
            boolean treated = i % 2 == 0;
            ObjectNode event = events.addObject()
                    .put("type", "sync")
                    .put("eventId", UUID.randomUUID().toString())
                    .put("eventTime", now)
                    .put("clientId", (treated ? "treated-" : "control-") + i)
                    .put("success", !treated)
                    .put("durationMs", 40);
            if (treated) {
                event.put("errorCode", "TIMEOUT");
            }
            event.putArray("exposures")
                    .addObject()
                    .put("flagKey", flag)
                    .put("variant", treated ? "on" : "off")
                    .put("treated", treated);
        }
        ObjectNode body = RollguardApi.JSON.createObjectNode();
        body.set("events", events);
        RollguardApi.Answer answer = api.send(
                "POST",
                api.endpoints().metricsIngest() + "/api/telemetry",
                ServiceStack.PRODUCER_TOKEN,
                body,
                Map.of("X-Request-Id", requestId, "traceparent", "00-" + traceId + "-00f067aa0ba902b7-01"));
        answer.orThrow("post telemetry");
        assertThat(answer.header("X-Request-Id")).isEqualTo(requestId);
        assertThat(answer.body().path("accepted").asInt()).isEqualTo(10);
        traceOfRequest.put(requestId, traceId);
    }

    private static byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        ThreadLocalRandom.current().nextBytes(bytes);
        return bytes;
    }
}
