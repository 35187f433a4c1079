package dev.rollguard.alert.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.rollguard.alert.service.NotificationGrouper;
import dev.rollguard.alert.support.AlertTestResource;
import dev.rollguard.alert.support.Api;
import dev.rollguard.alert.support.TestKafka;
import dev.rollguard.alert.support.Windows;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An alert cut from a notification by {@code max-alerts-per-notification} was not sent to the receiver, so the
 * notification does not carry it: a resolution cut is neither forgotten when the notification is delivered nor counted
 * towards its drop, and goes out in a later notification.
 */
@QuarkusTest
@QuarkusTestResource(AlertTestResource.class)
@TestProfile(MaxAlertsPerNotificationTest.TwoAlertsPerNotification.class)
class MaxAlertsPerNotificationTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Notifications list at most two alerts. */
    public static class TwoAlertsPerNotification implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("alert-service.webhooks.max-alerts-per-notification", "2");
        }
    }

    @Inject
    NotificationGrouper grouper;

    @Inject
    Pool pool;

    private HttpServer server;
    private final List<JsonNode> received = new CopyOnWriteArrayList<>();
    private String webhookId;
    private String ruleId;

    @BeforeEach
    void startReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/cut", exchange -> {
            received.add(JSON.readTree(exchange.getRequestBody()));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
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
    }

    @Test
    void aResolutionCutFromANotificationIsNotCarriedByItAndGoesOutInALaterOne() {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        ruleId = "cut-" + suffix;
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
        // Nothing is flushed by the clock (an hour's wait): the test flushes the group at chosen instants.
        webhookId = Api.admin()
                .body(Map.of(
                        "name",
                        "cut",
                        "url",
                        "http://127.0.0.1:" + server.getAddress().getPort() + "/cut",
                        "groupWait",
                        "1h",
                        "groupInterval",
                        "1m",
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
        // Two tables breach, then a third a minute later: it starts last, so it is the one cut from the notifications.
        String shown = "cut-a-" + suffix;
        String stays = "cut-b-" + suffix;
        String late = "cut-late-" + suffix;
        Instant origin = Instant.parse("2026-06-12T10:00:00Z");
        TestKafka.sendWindows(Windows.table(shown, origin, 0, 1_000_000), Windows.table(stays, origin, 0, 1_000_000));
        TestKafka.sendWindows(
                Windows.table(shown, origin, 1, 1_000_000),
                Windows.table(stays, origin, 1, 1_000_000),
                Windows.table(late, origin, 1, 1_000_000));
        await().atMost(WAIT).until(() -> members() == 3);
        Instant first = Instant.now().plus(Duration.ofHours(2));
        flushUntilWritten(first, 1);
        await().atMost(WAIT).until(() -> received.size() == 1);
        assertThat(tables(received.get(0))).isEqualTo(Map.of(shown, "firing", stays, "firing"));
        assertThat(received.get(0).get("truncatedAlerts").asInt()).isEqualTo(1);

        // The first table and the late one recover; the other still breaches.
        TestKafka.sendWindows(
                Windows.table(shown, origin, 2, 10),
                Windows.table(stays, origin, 2, 1_000_000),
                Windows.table(late, origin, 2, 10));
        await().atMost(WAIT).until(() -> resolved().size() == 2);

        // The group's next notification lists the first table's resolution and cuts the late one's.
        Instant changed = first.plus(Duration.ofMinutes(2));
        flushUntilWritten(changed, 2);
        await().atMost(WAIT).until(() -> received.size() == 2);
        assertThat(tables(received.get(1))).isEqualTo(Map.of(shown, "resolved", stays, "firing"));
        assertThat(received.get(1).get("truncatedAlerts").asInt()).isEqualTo(1);

        // Delivered: the resolution listed was carried, so it is forgotten; the cut one was not, so it stays in the
        // group, never counted as carried, and the group's next notification (the repeat) lists it.
        await().atMost(WAIT).until(() -> deliveries().stream().allMatch("DELIVERED"::equals));
        assertThat(resolved()).isEqualTo(Map.of(late, false));
        flushUntilWritten(changed.plus(Duration.ofHours(2)), 3);
        await().atMost(WAIT).until(() -> received.size() == 3);
        assertThat(tables(received.get(2))).isEqualTo(Map.of(stays, "firing", late, "resolved"));
        assertThat(received.get(2).get("truncatedAlerts").asInt()).isZero();
    }

    /**
     * Flushes the webhook's groups as at {@code at} until it has {@code count} deliveries: a look the relay's timer
     * takes at that moment may hold the group.
     */
    private void flushUntilWritten(Instant at, int count) {
        await().atMost(WAIT).until(() -> {
            grouper.flush(at).await().atMost(WAIT);
            return deliveries().size() == count;
        });
    }

    /** The status of each of the webhook's deliveries. */
    private List<String> deliveries() {
        return Api.admin()
                .when()
                .get("/api/webhooks/" + webhookId + "/deliveries")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getList("status", String.class);
    }

    /** How many alerts the webhook's groups hold. */
    private long members() {
        return pool.preparedQuery("SELECT count(*) FROM notification_group_alerts WHERE webhook_id = $1")
                .execute(Tuple.of(webhookId))
                .await()
                .atMost(Duration.ofSeconds(5))
                .iterator()
                .next()
                .getLong(0);
    }

    /** The tables of the webhook's resolved alerts still in its groups, each with whether a notification carried it. */
    private Map<String, Boolean> resolved() {
        Map<String, Boolean> tables = new HashMap<>();
        pool.preparedQuery(
                        """
                        SELECT alert::jsonb -> 'labels' ->> 'table', carried_at IS NOT NULL
                        FROM notification_group_alerts WHERE webhook_id = $1 AND NOT firing""")
                .execute(Tuple.of(webhookId))
                .await()
                .atMost(Duration.ofSeconds(5))
                .forEach(row -> tables.put(row.getString(0), row.getBoolean(1)));
        return tables;
    }

    /** The status of each alert a notification lists, by table. */
    private static Map<String, String> tables(JsonNode notification) {
        Map<String, String> tables = new HashMap<>();
        notification
                .get("alerts")
                .forEach(a -> tables.put(
                        a.get("labels").get("table").asText(), a.get("status").asText()));
        return tables;
    }
}
