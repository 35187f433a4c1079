package dev.rollguard.alert.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.rollguard.alert.mapping.ActionFixtures;
import dev.rollguard.alert.publisher.WebhookSender;
import dev.rollguard.alert.support.AlertTestResource;
import dev.rollguard.alert.support.Api;
import dev.rollguard.alert.support.TestKafka;
import dev.rollguard.infra.SharedInfra;
import dev.rollguard.schemas.Topics;
import dev.rollguard.schemas.event.RollbackActionEvent;
import dev.rollguard.schemas.event.RolloutActionEvent;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Automatic actions published on the real broker's {@code rollbacks} and {@code rollouts} topics reach the local
 * HTTP receivers that subscribe to actions, once each, in each receiver's shape, through the signing dispatcher; an
 * undecodable record is dead-lettered with its reason and the consumer goes on.
 */
@QuarkusTest
@QuarkusTestResource(AlertTestResource.class)
class ActionNotificationTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CONSOLE = "https://console.rollguard.test";
    private static final String ROUTING_KEY = "Rpagerdutyintegrationkey00000042";

    /** One request a receiver got. */
    record Received(String path, String signature, JsonNode body, String raw) {}

    private HttpServer server;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final List<String> webhookIds = new ArrayList<>();

    @BeforeEach
    void startReceivers() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        for (String path : List.of("/generic", "/slack", "/pd", "/alerts-only")) {
            server.createContext(path, this::answer);
        }
        server.start();
    }

    @AfterEach
    void stopReceivers() {
        webhookIds.forEach(id -> Api.admin().when().delete("/api/webhooks/" + id));
        server.stop(0);
    }

    private void answer(HttpExchange exchange) throws IOException {
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        received.add(new Received(
                exchange.getRequestURI().getPath(),
                exchange.getRequestHeaders().getFirst(WebhookSender.SIGNATURE_HEADER),
                JSON.readTree(body),
                body));
        exchange.sendResponseHeaders(202, -1);
        exchange.close();
    }

    private JsonPath register(String path, Map<String, Object> settings) {
        Map<String, Object> body = new HashMap<>(settings);
        body.put("name", path.substring(1));
        body.put("url", "http://127.0.0.1:" + server.getAddress().getPort() + path);
        JsonPath created = Api.admin()
                .body(body)
                .when()
                .post("/api/webhooks")
                .then()
                .statusCode(201)
                .extract()
                .jsonPath();
        webhookIds.add(created.getString("id"));
        return created;
    }

    /** What a receiver got about one action, whichever field of its shape names it. */
    private List<Received> got(String pathPrefix, String actionId) {
        return received.stream()
                .filter(r -> r.path().startsWith(pathPrefix))
                .filter(r -> r.raw().contains(actionId))
                .toList();
    }

    @Test
    void rollbackAndRolloutActionsReachEachSubscribedReceiverOnceInItsShape() throws Exception {
        JsonPath generic = register("/generic", Map.of("events", List.of("actions")));
        register("/slack", Map.of("kind", "slack", "events", List.of("alerts", "actions")));
        register("/pd", Map.of("kind", "pagerduty", "routingKey", ROUTING_KEY, "events", List.of("actions")));
        register("/alerts-only", Map.of());
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String flag = "checkout-" + suffix;
        RollbackActionEvent kill = ActionFixtures.kill("fp" + suffix + ":1772442905000", flag);
        RolloutActionEvent promote = ActionFixtures.promote(flag + ":12:PROMOTE", flag);

        // The kill, a record that is no RollbackActionEvent, the same kill again (a redelivery), then the promotion.
        TestKafka.sendRollback(kill);
        TestKafka.sendRaw(Topics.ROLLBACKS, flag, "not avro".getBytes(StandardCharsets.UTF_8));
        TestKafka.sendRollback(kill);
        TestKafka.sendRollout(promote);

        String killId = kill.getActionId();
        String promoteId = promote.getActionId();
        await().atMost(WAIT)
                .until(() -> got("/generic", killId).size() == 1
                        && got("/generic", promoteId).size() == 1
                        && got("/slack", killId).size() == 1
                        && got("/slack", promoteId).size() == 1
                        && got("/pd", killId).size() == 1
                        && got("/pd", promoteId).size() == 1);
        // Exactly once: the duplicate kill is not notified again, now or later.
        await().during(Duration.ofSeconds(3))
                .atMost(WAIT)
                .until(() -> got("/generic", killId).size() == 1
                        && got("/slack", killId).size() == 1
                        && got("/pd", killId).size() == 1);
        // A subscription left at the default (alerts) hears of no action.
        assertThat(got("/alerts-only", killId)).isEmpty();
        assertThat(got("/alerts-only", promoteId)).isEmpty();

        // Generic: the documented body, signed with the webhook's secret.
        Received genericKill = got("/generic", killId).get(0);
        assertThat(genericKill.signature())
                .isEqualTo("sha256=" + WebhookSender.sign(generic.getString("secret"), genericKill.raw()));
        JsonNode body = genericKill.body();
        assertThat(body.get("type").asText()).isEqualTo("action");
        assertThat(body.get("source").asText()).isEqualTo("rollback-service");
        assertThat(body.get("actionId").asText()).isEqualTo(killId);
        assertThat(body.get("flagKey").asText()).isEqualTo(flag);
        assertThat(body.get("action").asText()).isEqualTo("KILL");
        assertThat(body.get("outcome").asText()).isEqualTo("APPLIED");
        assertThat(body.get("evidence").asText()).startsWith("failure rate 3.11 % vs 1.0 %");
        assertThat(body.get("consoleURL").asText()).isEqualTo(CONSOLE + "/flags/" + flag);
        assertThat(body.get("details").get("alertFingerprint").asText()).isEqualTo(kill.getAlertFingerprint());
        JsonNode genericPromote = got("/generic", promoteId).get(0).body();
        assertThat(genericPromote.get("source").asText()).isEqualTo("promoter");
        assertThat(genericPromote.get("action").asText()).isEqualTo("PROMOTE");
        assertThat(genericPromote.get("details").get("toPercentage").asDouble()).isEqualTo(25.0);

        // Slack: text and blocks, the evidence and the flag's console page.
        JsonNode slack = got("/slack", killId).get(0).body();
        assertThat(slack.get("text").asText()).startsWith("Rollguard rollback-service: KILL " + flag + ": APPLIED");
        assertThat(slack.get("blocks").toString())
                .contains("*Evidence:* failure rate 3.11 % vs 1.0 %")
                .contains("<" + CONSOLE + "/flags/" + flag + "|");
        assertThat(got("/slack", promoteId).get(0).body().get("text").asText())
                .startsWith("Rollguard promoter: PROMOTE " + flag + ": APPLIED");

        // PagerDuty: change events, on the change events endpoint, with the routing key.
        Received pd = got("/pd", killId).get(0);
        assertThat(pd.path()).isEqualTo("/pd/v2/change/enqueue");
        assertThat(pd.body().get("routing_key").asText()).isEqualTo(ROUTING_KEY);
        assertThat(pd.body().has("event_action")).isFalse();
        assertThat(pd.body().get("payload").get("summary").asText()).contains("KILL " + flag);
        assertThat(got("/pd", promoteId).get(0).path()).isEqualTo("/pd/v2/change/enqueue");

        // The delivery records name the action.
        await().atMost(WAIT).until(() -> Api.admin()
                .when()
                .get("/api/webhooks/" + generic.getString("id") + "/deliveries")
                .then()
                .extract()
                .jsonPath()
                .getList("findAll { it.status == 'DELIVERED' }.actionId")
                .containsAll(List.of(killId, promoteId)));

        // The undecodable record is kept with why, and the consumer went on to the records after it.
        assertThat(deadLetters(flag)).singleElement().satisfies(reason -> assertThat(reason)
                .startsWith("cannot decode a RollbackActionEvent"));
    }

    private static List<String> deadLetters(String key) throws SQLException {
        try (Connection connection = DriverManager.getConnection(
                        SharedInfra.jdbcUrl(AlertTestResource.DATABASE_NAME),
                        SharedInfra.dbUser(),
                        SharedInfra.dbPassword());
                PreparedStatement query = connection.prepareStatement(
                        "SELECT reason FROM action_dead_letters WHERE topic = ? AND record_key = ?")) {
            query.setString(1, Topics.ROLLBACKS);
            query.setString(2, key);
            List<String> reasons = new ArrayList<>();
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    reasons.add(rows.getString(1));
                }
            }
            return reasons;
        }
    }
}
