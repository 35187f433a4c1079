package dev.rollguard.alert.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.rollguard.alert.publisher.WebhookSender;
import dev.rollguard.alert.support.AlertTestResource;
import dev.rollguard.alert.support.Api;
import dev.rollguard.alert.support.Rules;
import dev.rollguard.alert.support.TestKafka;
import dev.rollguard.alert.support.Windows;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Webhook deliveries to real HTTP receivers on a loopback port: a healthy one, one that fails twice before
 * accepting, a dead one, and a slow one.
 */
@QuarkusTest
@QuarkusTestResource(AlertTestResource.class)
class WebhookDeliveryTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One request a receiver got. */
    record Received(Instant at, String signature, String delivery, String body) {}

    private HttpServer server;
    private ExecutorService executor;
    private final Map<String, List<Received>> received = new ConcurrentHashMap<>();
    private final AtomicBoolean deadRecovered = new AtomicBoolean();
    private final List<String> webhookIds = new ArrayList<>();

    @BeforeEach
    void startReceivers() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        // One thread per request: a sleeping receiver must not hold the others' requests.
        executor = Executors.newCachedThreadPool();
        server.setExecutor(executor);
        server.createContext("/healthy", exchange -> answer(exchange, "healthy", 200));
        server.createContext("/flaky", exchange -> {
            int seen = received.getOrDefault("flaky", List.of()).size();
            answer(exchange, "flaky", seen < 2 ? 500 : 200);
        });
        server.createContext("/dead", exchange -> answer(exchange, "dead", deadRecovered.get() ? 200 : 503));
        server.createContext("/slow", exchange -> {
            try {
                Thread.sleep(1500); // the receiver is slow, not the test: nothing waits on this
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            answer(exchange, "slow", 200);
        });
        server.start();
    }

    @AfterEach
    void stopReceivers() {
        webhookIds.forEach(id -> Api.admin().when().delete("/api/webhooks/" + id));
        server.stop(0);
        executor.shutdownNow();
    }

    private void answer(HttpExchange exchange, String receiver, int status) throws IOException {
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        received.computeIfAbsent(receiver, r -> new CopyOnWriteArrayList<>())
                .add(new Received(
                        Instant.now(),
                        exchange.getRequestHeaders().getFirst(WebhookSender.SIGNATURE_HEADER),
                        exchange.getRequestHeaders().getFirst(WebhookSender.DELIVERY_HEADER),
                        body));
        exchange.sendResponseHeaders(status, -1);
        exchange.close();
    }

    private JsonPath register(String name) {
        String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/" + name;
        JsonPath created = Api.admin()
                .body(Map.of("name", name, "url", url))
                .when()
                .post("/api/webhooks")
                .then()
                .statusCode(201)
                .extract()
                .jsonPath();
        webhookIds.add(created.getString("id"));
        return created;
    }

    private static JsonPath deliveries(String webhookId) {
        return Api.admin()
                .when()
                .get("/api/webhooks/" + webhookId + "/deliveries")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
    }

    private List<Received> got(String receiver, String rule) {
        return received.getOrDefault(receiver, List.of()).stream()
                .filter(r -> r.body().contains("\"rule_id\":\"" + rule + "\""))
                .toList();
    }

    @Test
    void deliversSignedAlertmanagerPayloadsRetriesFailuresAndKeepsWhatFailed() throws Exception {
        JsonPath healthy = register("healthy");
        JsonPath flaky = register("flaky");
        JsonPath dead = register("dead");
        register("slow");
        String table = "t" + UUID.randomUUID().toString().substring(0, 8);
        String rule = "hook-" + table;
        Rules.slowTable(rule, table, 0, 0);

        TestKafka.sendWindows(Windows.table(table, Instant.parse("2026-05-01T10:00:00Z"), 0, 5000));

        // The healthy receiver gets a signed, Alertmanager-shaped payload.
        await().atMost(WAIT).until(() -> got("healthy", rule).size() == 1);
        Received delivery = got("healthy", rule).get(0);
        assertThat(delivery.signature())
                .isEqualTo("sha256=" + WebhookSender.sign(healthy.getString("secret"), delivery.body()));
        JsonNode payload = JSON.readTree(delivery.body());
        assertThat(payload.get("version").asText()).isEqualTo("4");
        assertThat(payload.get("status").asText()).isEqualTo("firing");
        assertThat(payload.get("receiver").asText()).isEqualTo("healthy");
        JsonNode alert = payload.get("alerts").get(0);
        assertThat(alert.get("status").asText()).isEqualTo("firing");
        assertThat(alert.get("labels").get("severity").asText()).isEqualTo("critical");
        assertThat(alert.get("labels").get("alertname").asText()).isEqualTo("Slow " + table);
        assertThat(alert.get("annotations").get("runbook_url").asText())
                .isEqualTo("https://runbooks.example/slow-table");
        assertThat(alert.get("startsAt").asText()).isEqualTo("2026-05-01T10:01:00Z");
        assertThat(alert.get("endsAt").asText()).isEqualTo("0001-01-01T00:00:00Z");
        assertThat(alert.get("fingerprint").asText()).hasSize(32);

        // A slow receiver does not delay the others: the healthy one had its alert long before the slow one answered.
        await().atMost(WAIT).until(() -> got("slow", rule).size() == 1);
        assertThat(delivery.at()).isBefore(got("slow", rule).get(0).at().plusMillis(1000));

        // The flaky receiver fails twice, then accepts: one delivery, three attempts, the same delivery id.
        await().atMost(WAIT).until(() -> "DELIVERED"
                .equals(deliveries(flaky.getString("id")).getString("[0].status")));
        assertThat(deliveries(flaky.getString("id")).getInt("[0].attempts")).isEqualTo(3);
        assertThat(got("flaky", rule)).hasSize(3);
        assertThat(got("flaky", rule).stream().map(Received::delivery).distinct())
                .hasSize(1);

        // The dead receiver exhausts its retries (1 + 3): the delivery is kept as FAILED with why.
        String deadId = dead.getString("id");
        await().atMost(WAIT).until(() -> "FAILED".equals(deliveries(deadId).getString("[0].status")));
        JsonPath failed = Api.admin()
                .queryParam("status", "FAILED")
                .when()
                .get("/api/webhooks/" + deadId + "/deliveries")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        assertThat(failed.getList("$")).hasSize(1);
        assertThat(failed.getInt("[0].attempts")).isEqualTo(4);
        assertThat(failed.getInt("[0].lastStatusCode")).isEqualTo(503);
        assertThat(failed.getString("[0].lastError")).contains("503");
        assertThat(got("dead", rule)).hasSize(4);

        // Once the receiver is back, the failed delivery can be sent again.
        deadRecovered.set(true);
        Api.admin()
                .when()
                .post("/api/webhooks/" + deadId + "/deliveries/" + failed.getLong("[0].id") + "/redeliver")
                .then()
                .statusCode(202);
        await().atMost(WAIT).until(() -> "DELIVERED".equals(deliveries(deadId).getString("[0].status")));
        assertThat(deliveries(deadId).getInt("[0].attempts")).isEqualTo(5);
    }

    @Test
    void webhookCrudValidatesAndHidesTheSecret() {
        Api.admin()
                .body(Map.of("name", "bad", "url", "ftp://example"))
                .when()
                .post("/api/webhooks")
                .then()
                .statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED"))
                .body("violations[0].field", equalTo("url"));
        String id = register("healthy").getString("id");
        Api.reader()
                .when()
                .get("/api/webhooks/" + id)
                .then()
                .statusCode(200)
                .body("name", equalTo("healthy"))
                .body("secret", equalTo(null));
        Api.admin()
                .body(Map.of("name", "renamed", "url", "http://127.0.0.1:1/x", "severities", List.of("CRITICAL")))
                .when()
                .put("/api/webhooks/" + id)
                .then()
                .statusCode(200)
                .body("name", equalTo("renamed"))
                .body("severities", equalTo(List.of("CRITICAL")));
        Api.admin().when().get("/api/webhooks/nope").then().statusCode(404).body("code", equalTo("NOT_FOUND"));
    }
}
