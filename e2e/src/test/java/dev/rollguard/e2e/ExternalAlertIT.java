package dev.rollguard.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollguard.cli.RollguardApi;
import dev.rollguard.infra.ServiceStack;
import dev.rollguard.simulator.demo.ClosedLoopScenario;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Alerts in, end to end: a team's own alert, as an Alertmanager webhook naming a flag, posted to the alert-service's
 * inbound endpoint again and again (Alertmanager's repeats, an HA pair, retries), makes the rollback-service kill that
 * flag exactly once, with the alert and its sender in the evidence; after an operator switches the flag back on, the
 * same alert still firing does not kill it again.
 */
class ExternalAlertIT {

    private static final Duration WAIT = Duration.ofSeconds(60);

    private static ServiceStack stack;
    private static RollguardApi api;

    @BeforeAll
    static void startStack() throws IOException {
        Map<String, List<String>> properties = new HashMap<>();
        for (String service : List.of("flag-service", "metrics-ingest", "alert-service", "rollback-service")) {
            properties.put(service, demoProperties(service));
        }
        stack = ServiceStack.start(properties);
        api = new RollguardApi(new RollguardApi.Endpoints(
                stack.url("flag-service"),
                stack.url("metrics-ingest"),
                stack.url("alert-service"),
                stack.url("rollback-service"),
                ServiceStack.ADMIN_TOKEN,
                ServiceStack.CLIENT_TOKEN,
                ServiceStack.PRODUCER_TOKEN));
    }

    private static List<String> demoProperties(String service) throws IOException {
        Properties props = new Properties();
        try (InputStream in = ClosedLoopScenario.class.getResourceAsStream("/demo-stack/" + service + ".properties")) {
            props.load(in);
        }
        List<String> result = new ArrayList<>();
        props.forEach((k, v) -> result.add(k + "=" + v));
        return result;
    }

    @AfterAll
    static void stopStack() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void anExternalAlertNamingAFlagKillsItExactlyOnce() throws IOException {
        String key = "external-" + UUID.randomUUID().toString().substring(0, 8);
        ObjectNode flag = RollguardApi.JSON
                .createObjectNode()
                .put("key", key)
                .put("description", "checkout behind a flag")
                .put("owner", "e2e")
                .put("enabled", true)
                .put("rolloutPercentage", 20);
        api.createFlag(flag).orThrow("create " + key);
        JsonNode firing = RollguardApi.JSON.readTree(
                """
                {"version": "4", "status": "firing", "receiver": "rollguard",
                 "externalURL": "http://alertmanager.example:9093",
                 "groupLabels": {"alertname": "CheckoutErrors"}, "commonLabels": {}, "commonAnnotations": {},
                 "alerts": [{"status": "firing",
                             "labels": {"alertname": "CheckoutErrors", "severity": "critical", "rollguard_flag": "%s"},
                             "annotations": {"summary": "5xx ratio above 5 %% on checkout"},
                             "startsAt": "2026-06-01T10:00:00Z", "endsAt": "0001-01-01T00:00:00Z"}]}"""
                        .formatted(key));

        for (int copy = 0; copy < 3; copy++) {
            post(firing);
        }

        await().atMost(WAIT).until(() -> api.flag(key).body().path("killed").asBoolean());
        await().atMost(WAIT).until(() -> api.rollbacks(key).body().size() == 1);
        JsonNode kill = api.rollbacks(key).body().get(0);
        assertThat(kill.path("action").asText()).isEqualTo("KILL");
        assertThat(kill.path("outcome").asText()).isEqualTo("APPLIED");
        assertThat(kill.path("ruleId").asText()).isEqualTo("external");
        assertThat(kill.path("reason").asText())
                .contains("External alert 'CheckoutErrors' from http://alertmanager.example:9093 on flag " + key)
                .contains("5xx ratio above 5 % on checkout");

        // The operator switches the flag back on while the alert still fires: Alertmanager's repeats kill nothing.
        api.unkill(key, "fixed upstream, the alert is stale").orThrow("unkill " + key);
        for (int copy = 0; copy < 2; copy++) {
            post(firing);
        }
        await().during(Duration.ofSeconds(3))
                .atMost(Duration.ofSeconds(10))
                .until(() -> !api.flag(key).body().path("killed").asBoolean()
                        && api.rollbacks(key).body().size() == 1);
    }

    private static void post(JsonNode body) {
        RollguardApi.Answer answer = api.send(
                "POST", stack.url("alert-service") + "/api/alerts/inbound", ServiceStack.ADMIN_TOKEN, body, Map.of());
        assertThat(answer.status()).as(answer.text()).isEqualTo(200);
    }
}
