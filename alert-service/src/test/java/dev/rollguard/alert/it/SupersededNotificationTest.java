package dev.rollguard.alert.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.rollguard.alert.support.AlertTestResource;
import dev.rollguard.alert.support.Api;
import dev.rollguard.alert.support.TestKafka;
import dev.rollguard.alert.support.Windows;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A notification that fails after a later notification of its group was written does not make the group due again:
 * the later one carries the group's state as it is now. Otherwise the group's resolution, pending in the later one,
 * would be written a second time and reach the receiver twice, once after the first was delivered.
 */
@QuarkusTest
@QuarkusTestResource(AlertTestResource.class)
@TestProfile(SupersededNotificationTest.ManyQuickRetries.class)
class SupersededNotificationTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Deliveries that stay pending long enough for the order of outcomes to be set by the receiver. */
    public static class ManyQuickRetries implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "alert-service.webhooks.max-retries", "60",
                    "alert-service.webhooks.initial-backoff", "50ms",
                    "alert-service.webhooks.max-backoff", "100ms");
        }
    }

    @Inject
    Pool pool;

    private HttpServer server;
    private ExecutorService executor;
    private final List<JsonNode> delivered = new CopyOnWriteArrayList<>();
    private final CountDownLatch resolutionArrived = new CountDownLatch(1);
    /** Counted down when the receiver is back: the resolution is delivered from then on. */
    private final CountDownLatch receiverBack = new CountDownLatch(1);

    private String webhookId;
    private String ruleId;

    @BeforeEach
    void startReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        executor = Executors.newCachedThreadPool();
        server.setExecutor(executor);
        server.createContext("/late", this::answer);
        server.start();
    }

    @AfterEach
    void stop() {
        if (webhookId != null) {
            Api.admin().when().delete("/api/webhooks/" + webhookId);
        }
        if (ruleId != null) {
            Api.admin().when().delete("/api/rules/" + ruleId);
        }
        server.stop(0);
        executor.shutdownNow();
    }

    /**
     * The firing notification is refused (503, a reason that may pass) once its resolution is pending, so it fails
     * while the resolution is in flight; the resolution is refused slowly until the receiver is back.
     */
    private void answer(HttpExchange exchange) throws IOException {
        JsonNode body = JSON.readTree(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
        boolean firing = "firing".equals(body.get("status").asText());
        try {
            if (firing) {
                // Within the sender's timeout: each attempt waits for the resolution to be written, at most so long.
                resolutionArrived.await(1500, TimeUnit.MILLISECONDS);
            } else {
                resolutionArrived.countDown();
                // A slow answer while the receiver is away, so the resolution stays pending through the checks below.
                receiverBack.await(500, TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (firing || receiverBack.getCount() > 0) {
            exchange.sendResponseHeaders(503, -1);
        } else {
            delivered.add(body);
            exchange.sendResponseHeaders(200, -1);
        }
        exchange.close();
    }

    @Test
    void aNotificationFailingAfterALaterOneWasWrittenDoesNotSendTheResolutionAgain() {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        ruleId = "late-" + suffix;
        Api.admin()
                .body(
                        """
                        {"id": "%s", "name": "Very slow tables", "metric": "durationMaxMs", "comparator": "GT",
                         "critical": {"threshold": 900000}, "forSeconds": 0, "keepFiringForSeconds": 0,
                         "minSampleSize": 10, "scope": {"types": ["TABLE"]}}"""
                                .formatted(ruleId))
                .when()
                .post("/api/rules")
                .then()
                .statusCode(201);
        webhookId = Api.admin()
                .body(Map.of(
                        "name",
                        "late",
                        "url",
                        "http://127.0.0.1:" + server.getAddress().getPort() + "/late",
                        "groupWait",
                        "1s",
                        "groupInterval",
                        "1s",
                        "repeatInterval",
                        "1h",
                        "matchers",
                        List.of(Map.of("name", "rule_id", "value", ruleId))))
                .when()
                .post("/api/webhooks")
                .then()
                .statusCode(201)
                .extract()
                .path("id");
        String table = "late-" + suffix;
        Instant origin = Instant.parse("2026-06-06T10:00:00Z");

        // The table breaches and recovers at once: the firing notification is pending when the resolution is written.
        TestKafka.sendWindows(Windows.table(table, origin, 0, 1_000_000));
        await().atMost(WAIT).until(() -> deliveries().getList("status").size() == 1);
        TestKafka.sendWindows(Windows.table(table, origin, 1, 10));

        // Newest first: the resolution pending, the firing notification failed after it was written.
        await().atMost(WAIT)
                .until(() -> deliveries().getList("status", String.class).equals(List.of("PENDING", "FAILED")));
        JsonPath records = deliveries();
        assertThat(Instant.parse(records.getString("[1].updatedAt")))
                .as("the firing notification failed after the resolution was written")
                .isAfter(Instant.parse(records.getString("[0].createdAt")));

        // The failure does not make the group due: nothing else is written while the resolution is pending.
        await().during(Duration.ofSeconds(3))
                .atMost(Duration.ofSeconds(10))
                .until(() -> deliveries().getList("status").size() == 2);

        // The receiver is back: the resolution is delivered once, and the group is forgotten.
        receiverBack.countDown();
        await().atMost(WAIT).until(() -> groups() == 0);
        assertThat(deliveries().getList("status", String.class)).isEqualTo(List.of("DELIVERED", "FAILED"));
        assertThat(delivered)
                .singleElement()
                .satisfies(n -> assertThat(n.get("status").asText()).isEqualTo("resolved"));
    }

    private JsonPath deliveries() {
        return Api.admin()
                .when()
                .get("/api/webhooks/" + webhookId + "/deliveries")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
    }

    private long groups() {
        return pool.preparedQuery("SELECT count(*) FROM notification_groups WHERE webhook_id = $1")
                .execute(Tuple.of(webhookId))
                .await()
                .atMost(Duration.ofSeconds(5))
                .iterator()
                .next()
                .getLong(0);
    }
}
