package dev.rollguard.alert.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.startsWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.rollguard.alert.publisher.WebhookSender;
import dev.rollguard.alert.repository.NotificationGroupRepository;
import dev.rollguard.alert.service.NotificationGrouper;
import dev.rollguard.alert.support.AlertTestResource;
import dev.rollguard.alert.support.Api;
import dev.rollguard.alert.support.TestKafka;
import dev.rollguard.alert.support.Windows;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Webhook notifications grouped as Alertmanager groups them, received by a real HTTP server on a loopback port: one
 * rule on many scopes is one notification, different flags are different notifications, a resolution is one resolved
 * notification sent a group interval after the last, and bad grouping settings are refused.
 */
@QuarkusTest
@QuarkusTestResource(AlertTestResource.class)
class NotificationGroupingTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration GROUP_INTERVAL = Duration.ofSeconds(3);

    /** One notification a receiver got. */
    record Received(Instant at, String signature, String delivery, JsonNode body, String raw) {
        String groupKey() {
            return body.get("groupKey").asText();
        }

        String status() {
            return body.get("status").asText();
        }

        List<JsonNode> alerts() {
            return StreamSupport.stream(body.get("alerts").spliterator(), false).toList();
        }

        String groupLabel(String name) {
            JsonNode value = body.get("groupLabels").get(name);
            return value == null ? null : value.asText();
        }
    }

    @Inject
    NotificationGrouper grouper;

    @Inject
    Pool pool;

    @Inject
    MeterRegistry meters;

    private HttpServer server;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final List<String> webhookIds = new ArrayList<>();
    private final List<String> ruleIds = new ArrayList<>();
    /** How many requests the receiver still answers 503 (down for a deploy). */
    private final java.util.concurrent.atomic.AtomicInteger failing = new java.util.concurrent.atomic.AtomicInteger();

    @BeforeEach
    void startReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/grouped", this::answer);
        server.start();
    }

    @AfterEach
    void stop() {
        webhookIds.forEach(id -> Api.admin().when().delete("/api/webhooks/" + id));
        ruleIds.forEach(id -> Api.admin().when().delete("/api/rules/" + id));
        server.stop(0);
    }

    private void answer(HttpExchange exchange) throws IOException {
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        if (failing.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            exchange.sendResponseHeaders(503, -1);
            exchange.close();
            return;
        }
        received.add(new Received(
                Instant.now(),
                exchange.getRequestHeaders().getFirst(WebhookSender.SIGNATURE_HEADER),
                exchange.getRequestHeaders().getFirst(WebhookSender.DELIVERY_HEADER),
                JSON.readTree(body),
                body));
        exchange.sendResponseHeaders(200, -1);
        exchange.close();
    }

    private JsonPath register(Map<String, Object> grouping) {
        Map<String, Object> body = new HashMap<>(grouping);
        body.put("name", "grouped");
        body.put("url", "http://127.0.0.1:" + server.getAddress().getPort() + "/grouped");
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

    private List<Received> about(String ruleId) {
        return received.stream()
                .filter(r -> ruleId.equals(r.groupLabel("rule_id")))
                .toList();
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

    @Test
    void oneRuleOnManyScopesIsOneNotificationAndItsResolutionAnotherAfterTheGroupInterval() {
        JsonPath webhook = register(Map.of("groupWait", "4s", "groupInterval", "3s", "repeatInterval", "1h"));
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String rule = veryslowRule(suffix);
        List<String> tables = List.of("a", "b", "c", "d", "e").stream()
                .map(t -> "grp-" + t + "-" + suffix)
                .toList();
        Instant origin = Instant.parse("2026-06-01T10:00:00Z");

        // The rule breaches on five tables at once: five alerts, one notification carrying all of them.
        TestKafka.sendWindows(
                tables.stream().map(t -> Windows.table(t, origin, 0, 1_000_000)).toArray(WindowMetricsEvent[]::new));
        await().atMost(WAIT)
                .until(() ->
                        about(rule).size() == 1 && about(rule).get(0).alerts().size() == 5);
        Received firing = about(rule).get(0);
        assertThat(firing.status()).isEqualTo("firing");
        assertThat(firing.body().get("version").asText()).isEqualTo("4");
        assertThat(firing.body().get("receiver").asText()).isEqualTo("grouped");
        assertThat(firing.body().get("truncatedAlerts").asInt()).isZero();
        assertThat(firing.groupKey()).isEqualTo("{}:{rule_id=\"" + rule + "\", severity=\"critical\"}");
        assertThat(firing.body().get("commonLabels").get("alertname").asText()).isEqualTo("Very slow tables");
        assertThat(firing.body().get("commonLabels").has("table")).isFalse();
        assertThat(firing.alerts().stream()
                        .map(a -> a.get("labels").get("table").asText()))
                .containsExactlyInAnyOrderElementsOf(tables);
        assertThat(firing.alerts())
                .allSatisfy(a -> assertThat(a.get("status").asText()).isEqualTo("firing"));
        assertThat(firing.signature())
                .isEqualTo("sha256=" + WebhookSender.sign(webhook.getString("secret"), firing.raw()));

        // The delivery record names the group.
        String webhookId = webhook.getString("id");
        await().atMost(WAIT)
                .until(() -> "DELIVERED".equals(deliveries(webhookId).getString("[0].status")));
        assertThat(deliveries(webhookId).getList("groupKey")).containsExactly(firing.groupKey());

        // Every table recovers: the group's resolution is notified, no sooner than a group interval after the first
        // notification, and then the group is finished.
        TestKafka.sendWindows(
                tables.stream().map(t -> Windows.table(t, origin, 1, 10)).toArray(WindowMetricsEvent[]::new));
        await().atMost(WAIT).until(() -> resolvedFingerprints(about(rule)).size() == 5);
        List<Received> later = about(rule).subList(1, about(rule).size());
        assertThat(later).isNotEmpty();
        assertThat(later.get(later.size() - 1).status()).isEqualTo("resolved");
        assertThat(later).allSatisfy(r -> assertThat(r.groupKey()).isEqualTo(firing.groupKey()));
        List<Instant> created = deliveries(webhookId).getList("createdAt", String.class).stream()
                .map(Instant::parse)
                .sorted()
                .toList();
        for (int i = 1; i < created.size(); i++) {
            assertThat(Duration.between(created.get(i - 1), created.get(i)))
                    .as("notifications of a group at least a group interval apart")
                    .isGreaterThanOrEqualTo(GROUP_INTERVAL);
        }
    }

    @Test
    void twoInstancesFlushingAtOnceNotifyAGroupOnceAndRepeatOnlyAfterTheRepeatInterval() {
        JsonPath webhook = register(Map.of("groupWait", "1h", "groupInterval", "1m", "repeatInterval", "4h"));
        String webhookId = webhook.getString("id");
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String rule = veryslowRule(suffix);
        List<String> tables = List.of("grp-x-" + suffix, "grp-y-" + suffix, "grp-z-" + suffix);
        Instant origin = Instant.parse("2026-06-03T10:00:00Z");
        TestKafka.sendWindows(
                tables.stream().map(t -> Windows.table(t, origin, 0, 1_000_000)).toArray(WindowMetricsEvent[]::new));
        await().atMost(WAIT)
                .until(() -> Api.admin()
                                .queryParam("view", "active")
                                .queryParam("ruleId", rule)
                                .when()
                                .get("/api/alerts")
                                .then()
                                .statusCode(200)
                                .extract()
                                .jsonPath()
                                .getList("$")
                                .size()
                        == 3);

        // The group waits an hour; two flushers (as two instances would) look at it at once when it is due: the
        // group is claimed by one, so it is notified once. The flushers keep nothing in memory: what they decide from
        // is in PostgreSQL, as it is for an instance started afresh.
        Instant due = Instant.now().plus(Duration.ofHours(2));
        List<NotificationGroupRepository.Flushed> rounds = Uni.combine()
                .all()
                .unis(grouper.flush(due), grouper.flush(due))
                .with(NotificationGroupRepository.Flushed.class, list -> list)
                .await()
                .atMost(WAIT);
        assertThat(rounds.stream()
                        .mapToInt(NotificationGroupRepository.Flushed::notifications)
                        .sum())
                .isGreaterThanOrEqualTo(1);
        assertThat(deliveries(webhookId).getList("$"))
                .as("one notification written")
                .hasSize(1);
        await().atMost(WAIT).until(() -> about(rule).size() == 1);
        assertThat(about(rule).get(0).alerts()).hasSize(3);

        // Nothing changed: a look one interval later sends nothing; one after the repeat interval sends it again.
        assertThat(grouper.flush(due.plus(Duration.ofMinutes(1)))
                        .await()
                        .atMost(WAIT)
                        .notifications())
                .isZero();
        assertThat(grouper.flush(due.plus(Duration.ofHours(4)))
                        .await()
                        .atMost(WAIT)
                        .notifications())
                .isGreaterThanOrEqualTo(1);
        await().atMost(WAIT).until(() -> about(rule).size() == 2);
        assertThat(about(rule).get(1).alerts()).hasSize(3);
        assertThat(about(rule).get(1).groupKey()).isEqualTo(about(rule).get(0).groupKey());
        assertThat(deliveries(webhookId).getList("$")).hasSize(2);
    }

    @Test
    void aSubscriptionNarrowedToOtherSeveritiesOrEventsIsNotRepeatedTheGroupsItNoLongerSelects() {
        for (Map<String, Object> narrowed : List.<Map<String, Object>>of(
                Map.of("severities", List.of("WARNING")), Map.of("events", List.of("actions")))) {
            String suffix = UUID.randomUUID().toString().substring(0, 8);
            String rule = veryslowRule(suffix);
            Map<String, Object> grouping = new HashMap<>(Map.of(
                    "groupWait",
                    "1h",
                    "groupInterval",
                    "1m",
                    "repeatInterval",
                    "4h",
                    "matchers",
                    List.of(Map.of("name", "rule_id", "value", rule))));
            String webhookId = register(grouping).getString("id");
            TestKafka.sendWindows(
                    Windows.table("grp-narrow-" + suffix, Instant.parse("2026-06-03T10:00:00Z"), 0, 1_000_000));
            await().atMost(WAIT).until(() -> members(webhookId) == 1);
            Instant due = Instant.now().plus(Duration.ofHours(2));
            flushUntilWritten(webhookId, due, 1);
            await().atMost(WAIT).until(() -> about(rule).size() == 1);

            // The critical alert still fires; the subscription now takes warnings only, or actions only.
            Map<String, Object> body = new HashMap<>(grouping);
            body.putAll(narrowed);
            body.put("name", "grouped");
            body.put("url", "http://127.0.0.1:" + server.getAddress().getPort() + "/grouped");
            Api.admin()
                    .body(body)
                    .when()
                    .put("/api/webhooks/" + webhookId)
                    .then()
                    .statusCode(200);
            assertThat(members(webhookId)).as(narrowed.toString()).isZero();
            grouper.flush(due.plus(Duration.ofHours(4))).await().atMost(WAIT);
            grouper.flush(due.plus(Duration.ofHours(8))).await().atMost(WAIT);
            assertThat(deliveries(webhookId).getList("$"))
                    .as("not repeated after " + narrowed)
                    .hasSize(1);
        }
    }

    @Test
    void aNotificationThatFailedIsSentAgainAtTheNextGroupIntervalNotAfterTheRepeatInterval() {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String rule = veryslowRule(suffix);
        String table = "grp-down-" + suffix;
        // Only this rule's notifications reach the receiver, which is down for the first delivery's every attempt
        // (1 + 3 retries in tests) and back after.
        JsonPath webhook = register(Map.of(
                "groupWait",
                "1s",
                "groupInterval",
                "3s",
                "repeatInterval",
                "4h",
                "matchers",
                List.of(Map.of("name", "rule_id", "value", rule))));
        String webhookId = webhook.getString("id");
        failing.set(4);

        TestKafka.sendWindows(Windows.table(table, Instant.parse("2026-06-03T10:00:00Z"), 0, 1_000_000));

        await().atMost(WAIT).until(() -> !about(rule).isEmpty());
        Received firing = about(rule).get(0);
        assertThat(firing.status()).isEqualTo("firing");
        assertThat(firing.alerts())
                .anySatisfy(
                        a -> assertThat(a.get("labels").get("table").asText()).isEqualTo(table));
        await().atMost(WAIT)
                .until(() ->
                        deliveries(webhookId).getList("status", String.class).contains("DELIVERED"));
        // Newest first: the first delivery failed after its every attempt, a later one was delivered.
        JsonPath records = deliveries(webhookId);
        List<String> statuses = records.getList("status", String.class);
        assertThat(statuses.get(statuses.size() - 1)).isEqualTo("FAILED");
        assertThat(records.getInt("[" + (statuses.size() - 1) + "].attempts"))
                .as("the first delivery's every attempt")
                .isEqualTo(4);
        List<Instant> created = records.getList("createdAt", String.class).stream()
                .map(Instant::parse)
                .sorted()
                .toList();
        assertThat(Duration.between(created.get(0), created.get(1)))
                .as("sent again a group interval after, far from the repeat interval")
                .isGreaterThanOrEqualTo(GROUP_INTERVAL)
                .isLessThan(Duration.ofMinutes(5));
    }

    @Test
    void aResolutionThatFailedIsSentAgainAtTheNextGroupIntervalUntilDeliveredThenTheGroupIsForgotten() {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String rule = veryslowRule(suffix);
        String table = "grp-end-" + suffix;
        JsonPath webhook = register(Map.of(
                "groupWait",
                "1s",
                "groupInterval",
                "3s",
                "repeatInterval",
                "4h",
                "matchers",
                List.of(Map.of("name", "rule_id", "value", rule))));
        String webhookId = webhook.getString("id");
        Instant origin = Instant.parse("2026-06-04T10:00:00Z");
        TestKafka.sendWindows(Windows.table(table, origin, 0, 1_000_000));
        await().atMost(WAIT)
                .until(() ->
                        deliveries(webhookId).getList("status", String.class).equals(List.of("DELIVERED")));
        assertThat(about(rule)).singleElement().extracting(Received::status).isEqualTo("firing");

        // The table recovers while the receiver is down for the resolution's every attempt (1 + 3 retries in tests).
        failing.set(4);
        TestKafka.sendWindows(Windows.table(table, origin, 1, 10));

        // Newest first: the resolution sent again and delivered, its first delivery failed, the firing.
        await().atMost(WAIT).until(() -> deliveries(webhookId)
                .getList("status", String.class)
                .equals(List.of("DELIVERED", "FAILED", "DELIVERED")));
        JsonPath records = deliveries(webhookId);
        assertThat(records.getInt("[1].attempts"))
                .as("the first resolution's every attempt")
                .isEqualTo(4);
        assertThat(Duration.between(
                        Instant.parse(records.getString("[1].createdAt")),
                        Instant.parse(records.getString("[0].createdAt"))))
                .as("sent again a group interval after, far from the repeat interval")
                .isGreaterThanOrEqualTo(GROUP_INTERVAL)
                .isLessThan(Duration.ofMinutes(5));
        assertThat(about(rule)).hasSize(2);
        Received resolution = about(rule).get(1);
        assertThat(resolution.status()).isEqualTo("resolved");
        assertThat(resolution.groupKey()).isEqualTo(about(rule).get(0).groupKey());
        assertThat(resolution.alerts()).singleElement().satisfies(alert -> {
            assertThat(alert.get("status").asText()).isEqualTo("resolved");
            assertThat(alert.get("labels").get("table").asText()).isEqualTo(table);
        });

        // Delivered: the group is finished, so nothing sends its resolution again, nor anything else of it.
        await().atMost(WAIT).until(() -> groups(webhookId) == 0);
        assertThat(deliveries(webhookId).getList("status", String.class)).doesNotContain("PENDING");
        assertThat(about(rule)).hasSize(2);
    }

    @Test
    void aResolutionAReceiverKeepsRefusingIsSentForAtMostTheRepeatIntervalThenTheGroupIsForgotten() {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String rule = veryslowRule(suffix);
        String table = "grp-gone-" + suffix;
        Duration groupInterval = Duration.ofSeconds(1);
        Duration repeatInterval = Duration.ofSeconds(6);
        JsonPath webhook = register(Map.of(
                "groupWait",
                "1s",
                "groupInterval",
                "1s",
                "repeatInterval",
                "6s",
                "matchers",
                List.of(Map.of("name", "rule_id", "value", rule))));
        String webhookId = webhook.getString("id");
        Instant origin = Instant.parse("2026-06-05T10:00:00Z");
        TestKafka.sendWindows(Windows.table(table, origin, 0, 1_000_000));
        await().atMost(WAIT)
                .until(() ->
                        deliveries(webhookId).getList("status", String.class).equals(List.of("DELIVERED")));
        double droppedBefore = droppedResolutions();

        // The table recovers; the receiver answers 503 from now on, a reason that may pass.
        failing.set(Integer.MAX_VALUE);
        TestKafka.sendWindows(Windows.table(table, origin, 1, 10));

        // The resolution is sent again every group interval until a notification written the repeat interval after it
        // resolved carried it: then the group stops carrying it and, nothing else in it, is forgotten.
        await().atMost(WAIT).until(() -> groups(webhookId) == 0);
        JsonPath records = deliveries(webhookId);
        List<String> statuses = records.getList("status", String.class);
        List<String> resolutions = statuses.subList(0, statuses.size() - 1);
        assertThat(resolutions)
                .as("newest first: the resolution's notifications, all failed")
                .allMatch("FAILED"::equals);
        int sent = resolutions.size();
        assertThat(sent)
                .as("sent again, at most once per group interval, until one past the repeat interval")
                .isBetween(2, (int) (repeatInterval.toSeconds() / groupInterval.toSeconds()) + 2);
        // The first was written within a group interval or so of the resolution, the last at or past its repeat
        // interval (a receiver back by then would have had it), and none later than one more interval or so.
        assertThat(Duration.between(
                        Instant.parse(records.getString("[" + (sent - 1) + "].createdAt")),
                        Instant.parse(records.getString("[0].createdAt"))))
                .isBetween(repeatInterval.minus(groupInterval.multipliedBy(2)), repeatInterval.plusSeconds(10));
        assertThat(droppedResolutions() - droppedBefore).isEqualTo(1.0);
        assertThat(about(rule)).singleElement().extracting(Received::status).isEqualTo("firing");

        // Forgotten: nothing is written for the group any more, however long the receiver keeps failing.
        await().during(Duration.ofSeconds(4))
                .atMost(Duration.ofSeconds(10))
                .until(() ->
                        deliveries(webhookId).getList("status", String.class).size() == statuses.size()
                                && groups(webhookId) == 0);
    }

    @Test
    void aDropInAFlushThatRollsBackIsCountedAndLoggedOnlyOnceADropCommits() {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String rule = veryslowRule(suffix);
        String table = "grp-rollback-" + suffix;
        JsonPath webhook = register(Map.of(
                "groupWait",
                "1s",
                "groupInterval",
                "1s",
                "repeatInterval",
                "4s",
                "matchers",
                List.of(Map.of("name", "rule_id", "value", rule))));
        String webhookId = webhook.getString("id");
        Instant origin = Instant.parse("2026-06-06T10:00:00Z");
        TestKafka.sendWindows(Windows.table(table, origin, 0, 1_000_000));
        await().atMost(WAIT)
                .until(() ->
                        deliveries(webhookId).getList("status", String.class).equals(List.of("DELIVERED")));
        String groupKey = about(rule).get(0).groupKey();
        double droppedBefore = droppedResolutions();
        List<String> warnings = new CopyOnWriteArrayList<>();
        Handler capture = capture(warnings, "stops carrying", groupKey);
        Logger.getLogger("").addHandler(capture);
        // Every flush that drops the resolution fails after deciding it, as on a serialization failure: the round
        // rolls back and the next one decides the same drop again.
        try {
            FailingStatement refused = FailingStatement.on(pool, "notification_group_alerts", "DELETE", webhookId);
            try {
                failing.set(Integer.MAX_VALUE);
                TestKafka.sendWindows(Windows.table(table, origin, 1, 10));

                await().atMost(WAIT).until(() -> refused.failures() >= 3);
                assertThat(groups(webhookId)).as("nothing dropped").isEqualTo(1);
                assertThat(droppedResolutions() - droppedBefore)
                        .as("rolled back drops not counted")
                        .isZero();
                assertThat(warnings).as("nor logged").isEmpty();
            } finally {
                refused.remove();
            }

            // The next round that drops it commits: counted and logged once.
            await().atMost(WAIT).until(() -> groups(webhookId) == 0);
            await().atMost(WAIT).until(() -> !warnings.isEmpty());
            assertThat(droppedResolutions() - droppedBefore).isEqualTo(1.0);
            assertThat(warnings).hasSize(1);
        } finally {
            Logger.getLogger("").removeHandler(capture);
        }
    }

    @Test
    void aNotificationWrittenInAFlushThatRollsBackIsCountedOnlyOnceOneCommits() {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String rule = veryslowRule(suffix);
        String table = "grp-uncounted-" + suffix;
        JsonPath webhook = register(Map.of(
                "groupWait",
                "1s",
                "groupInterval",
                "1s",
                "repeatInterval",
                "1h",
                "matchers",
                List.of(Map.of("name", "rule_id", "value", rule))));
        String webhookId = webhook.getString("id");
        double changedBefore = notifications("changed");
        double repeatBefore = notifications("repeat");
        // Every flush that notifies the group fails after deciding it, as on a serialization failure.
        FailingStatement refused = FailingStatement.on(pool, "webhook_deliveries", "INSERT", webhookId);
        try {
            TestKafka.sendWindows(Windows.table(table, Instant.parse("2026-06-07T10:00:00Z"), 0, 1_000_000));

            await().atMost(WAIT).until(() -> refused.failures() >= 3);
            assertThat(deliveries(webhookId).getList("$")).isEmpty();
            assertThat(notifications("changed") - changedBefore)
                    .as("rolled back notifications not counted")
                    .isZero();
        } finally {
            refused.remove();
        }

        await().atMost(WAIT).until(() -> about(rule).size() == 1);
        await().atMost(WAIT)
                .until(() ->
                        deliveries(webhookId).getList("status", String.class).equals(List.of("DELIVERED")));
        assertThat(notifications("changed") - changedBefore).isEqualTo(1.0);
        assertThat(notifications("repeat") - repeatBefore).isZero();
    }

    @Test
    void aResolutionLeftOutWhileSilencedIsNeverSentNorCountedAsDroppedAndGoesWithTheGroupsNextDelivery() {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String rule = veryslowRule(suffix);
        String quiet = "grp-quiet-" + suffix;
        String loud = "grp-loud-" + suffix;
        Duration repeatInterval = Duration.ofSeconds(4);
        JsonPath webhook = register(Map.of(
                "groupWait",
                "1s",
                "groupInterval",
                "1s",
                "repeatInterval",
                "4s",
                "matchers",
                List.of(Map.of("name", "rule_id", "value", rule))));
        String webhookId = webhook.getString("id");
        Instant origin = Instant.parse("2026-06-08T10:00:00Z");
        TestKafka.sendWindows(Windows.table(quiet, origin, 0, 1_000_000), Windows.table(loud, origin, 0, 1_000_000));
        await().atMost(WAIT)
                .until(() -> !about(rule).isEmpty()
                        && tables(last(about(rule))).equals(Map.of(quiet, "firing", loud, "firing"))
                        && !deliveries(webhookId)
                                .getList("status", String.class)
                                .contains("PENDING"));
        String groupKey = about(rule).get(0).groupKey();
        double droppedBefore = droppedResolutions();
        List<String> warnings = new CopyOnWriteArrayList<>();
        Handler capture = capture(warnings, "stops carrying", groupKey);
        Logger.getLogger("").addHandler(capture);
        try {
            // One table is silenced and recovers while the receiver is down; the other still fires, so the group's
            // notifications (sent again every group interval, as they fail) go on without the silenced resolution,
            // past the repeat interval after it.
            String silence = silence("table", quiet);
            failing.set(Integer.MAX_VALUE);
            TestKafka.sendWindows(Windows.table(quiet, origin, 1, 10));
            await().atMost(WAIT).until(() -> resolvedAt(webhookId) != null);
            Instant deadline = resolvedAt(webhookId).plus(repeatInterval);
            await().atMost(WAIT)
                    .until(() -> deliveries(webhookId).getList("createdAt", String.class).stream()
                                    .filter(at -> !Instant.parse(at).isBefore(deadline))
                                    .count()
                            >= 2);
            assertThat(resolvedAt(webhookId))
                    .as("no notification delivered, the resolution is still in the group")
                    .isNotNull();
            assertThat(droppedResolutions() - droppedBefore)
                    .as("a silenced resolution is not counted as dropped")
                    .isZero();
            assertThat(warnings).as("nor logged").isEmpty();

            // The receiver is back while the silence holds: the group's next notification delivered leaves the
            // resolution out and forgets it, as an Alertmanager forgets muted resolved alerts.
            failing.set(0);
            await().atMost(WAIT).until(() -> resolvedAt(webhookId) == null);
            assertThat(deliveries(webhookId).getList("status", String.class)).contains("DELIVERED");

            // The silence ends: the group's next notification (the repeat) carries only what still fires.
            Api.admin().when().delete("/api/silences/" + silence).then().statusCode(204);
            Instant ended = Instant.now();
            await().atMost(WAIT).until(() -> about(rule).stream().anyMatch(r -> r.at().isAfter(ended)));
            Received next = about(rule).stream()
                    .filter(r -> r.at().isAfter(ended))
                    .findFirst()
                    .orElseThrow();
            assertThat(tables(next)).isEqualTo(Map.of(loud, "firing"));
            assertThat(resolutionsOf(quiet, rule))
                    .as("the silenced resolution is never sent")
                    .isZero();
            assertThat(droppedResolutions() - droppedBefore).isZero();
            assertThat(warnings).isEmpty();
        } finally {
            Logger.getLogger("").removeHandler(capture);
        }
    }

    @Test
    void aGroupWhoseOnlyFiringAlertIsSilencedLivesOnAfterTheOthersResolveAndNotifiesItWhenTheSilenceEnds() {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String rule = veryslowRule(suffix);
        String muted = "grp-muted-" + suffix;
        String done = "grp-done-" + suffix;
        JsonPath webhook = register(Map.of(
                "groupWait",
                "1s",
                "groupInterval",
                "1s",
                "repeatInterval",
                "4s",
                "matchers",
                List.of(Map.of("name", "rule_id", "value", rule))));
        String webhookId = webhook.getString("id");
        Instant origin = Instant.parse("2026-06-09T10:00:00Z");
        TestKafka.sendWindows(Windows.table(muted, origin, 0, 1_000_000), Windows.table(done, origin, 0, 1_000_000));
        await().atMost(WAIT)
                .until(() -> !about(rule).isEmpty()
                        && tables(last(about(rule))).equals(Map.of(muted, "firing", done, "firing")));

        // One table is silenced and still fires; the other recovers: the group's notification carries only the
        // resolution, and is delivered. The group lives on for the silenced alert.
        String silence = silence("table", muted);
        TestKafka.sendWindows(Windows.table(muted, origin, 1, 1_000_000), Windows.table(done, origin, 1, 10));
        await().atMost(WAIT)
                .until(() -> about(rule).stream().anyMatch(r -> tables(r).equals(Map.of(done, "resolved"))));
        await().atMost(WAIT).until(() -> resolvedAt(webhookId) == null);
        assertThat(groups(webhookId))
                .as("the group of the silenced alert still firing")
                .isEqualTo(1);

        // The silence ends: the alert is notified again, firing.
        Api.admin().when().delete("/api/silences/" + silence).then().statusCode(204);
        Instant ended = Instant.now();
        await().atMost(WAIT).until(() -> about(rule).stream()
                .anyMatch(
                        r -> r.at().isAfter(ended) && "firing".equals(tables(r).get(muted))));
        Received next = about(rule).stream()
                .filter(r -> r.at().isAfter(ended))
                .findFirst()
                .orElseThrow();
        assertThat(tables(next)).isEqualTo(Map.of(muted, "firing"));
    }

    @Test
    void aResolutionIsNotDroppedWhileTheNotificationThatCarriedItIsPending() {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String rule = veryslowRule(suffix);
        String gone = "grp-pend-" + suffix;
        String stays = "grp-stays-" + suffix;
        // Nothing is flushed by the clock (an hour's wait): the test flushes the group at chosen instants, as
        // hours pass.
        JsonPath webhook = register(Map.of(
                "groupWait",
                "1h",
                "groupInterval",
                "1m",
                "repeatInterval",
                "1h",
                "matchers",
                List.of(Map.of("name", "rule_id", "value", rule))));
        String webhookId = webhook.getString("id");
        Instant origin = Instant.parse("2026-06-10T10:00:00Z");
        TestKafka.sendWindows(Windows.table(gone, origin, 0, 1_000_000), Windows.table(stays, origin, 0, 1_000_000));
        await().atMost(WAIT).until(() -> members(webhookId) == 2);
        Instant first = Instant.now().plus(Duration.ofHours(2));
        flushUntilWritten(webhookId, first, 1);
        await().atMost(WAIT)
                .until(() ->
                        deliveries(webhookId).getList("status", String.class).equals(List.of("DELIVERED")));
        String groupKey = about(rule).get(0).groupKey();
        double droppedBefore = droppedResolutions();
        List<String> warnings = new CopyOnWriteArrayList<>();
        Handler capture = capture(warnings, "stops carrying", groupKey);
        Logger.getLogger("").addHandler(capture);
        try {
            // From now on no delivery to the webhook is taken (the dispatcher's claim fails): what is written stays
            // pending.
            FailingStatement held =
                    FailingStatement.on(pool, "webhook_deliveries", "UPDATE", webhookId, "NEW.claimed_by IS NOT NULL");
            try {
                TestKafka.sendWindows(Windows.table(gone, origin, 1, 10), Windows.table(stays, origin, 1, 1_000_000));
                await().atMost(WAIT).until(() -> resolvedAt(webhookId) != null);
                // A notification written past the repeat interval after the resolution carries it, and is pending.
                Instant carried = first.plus(Duration.ofHours(2));
                flushUntilWritten(webhookId, carried, 2);
                assertThat(deliveries(webhookId).getString("[0].status")).isEqualTo("PENDING");
                // The repeat, past the repeat interval: the resolution is not dropped while that notification is
                // pending, and the repeat carries it too.
                flushUntilWritten(webhookId, carried.plus(Duration.ofHours(2)), 3);
                assertThat(resolvedAt(webhookId)).as("still in the group").isNotNull();
                assertThat(droppedResolutions() - droppedBefore).isZero();
                assertThat(warnings).isEmpty();
            } finally {
                held.remove();
            }

            // The notifications are delivered: the resolution is forgotten, heard and never counted as dropped.
            await().atMost(WAIT)
                    .until(() -> resolvedAt(webhookId) == null
                            && deliveries(webhookId).getList("status", String.class).stream()
                                    .allMatch("DELIVERED"::equals));
            assertThat(resolutionsOf(gone, rule)).isPositive();
            assertThat(droppedResolutions() - droppedBefore).isZero();
            assertThat(warnings).isEmpty();
        } finally {
            Logger.getLogger("").removeHandler(capture);
        }
    }

    @Test
    void aResolutionBeyondWhatASlackMessageShowsIsNotCarriedByItAndGoesOutInALaterOne() {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String rule = veryslowRule(suffix);
        List<JsonNode> messages = new CopyOnWriteArrayList<>();
        server.createContext("/slack", exchange -> {
            messages.add(JSON.readTree(exchange.getRequestBody()));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        // Nothing is flushed by the clock (an hour's wait): the test flushes the group at chosen instants.
        String webhookId = Api.admin()
                .body(Map.of(
                        "name",
                        "slack",
                        "kind",
                        "slack",
                        "url",
                        "http://127.0.0.1:" + server.getAddress().getPort() + "/slack",
                        "groupWait",
                        "1h",
                        "groupInterval",
                        "1m",
                        "repeatInterval",
                        "1h",
                        "matchers",
                        List.of(Map.of("name", "rule_id", "value", rule))))
                .when()
                .post("/api/webhooks")
                .then()
                .statusCode(201)
                .extract()
                .path("id");
        webhookIds.add(webhookId);
        // Twenty tables breach, then one more a minute later: it starts last, so it is the 21st alert of the group's
        // notifications, beyond the twenty a Slack message shows.
        List<String> early = java.util.stream.IntStream.range(0, 20)
                .mapToObj(i -> "grp-s%02d-%s".formatted(i, suffix))
                .toList();
        String shown = early.get(0);
        String late = "grp-late-" + suffix;
        Instant origin = Instant.parse("2026-06-11T10:00:00Z");
        TestKafka.sendWindows(
                early.stream().map(t -> Windows.table(t, origin, 0, 1_000_000)).toArray(WindowMetricsEvent[]::new));
        List<WindowMetricsEvent> second = new ArrayList<>(
                early.stream().map(t -> Windows.table(t, origin, 1, 1_000_000)).toList());
        second.add(Windows.table(late, origin, 1, 1_000_000));
        TestKafka.sendWindows(second.toArray(WindowMetricsEvent[]::new));
        await().atMost(WAIT).until(() -> members(webhookId) == 21);
        Instant first = Instant.now().plus(Duration.ofHours(2));
        flushUntilWritten(webhookId, first, 1);
        await().atMost(WAIT).until(() -> messages.size() == 1);
        assertThat(messages.get(0).get("blocks").toString())
                .contains("1 more alert")
                .doesNotContain(late);

        // The first table and the late one recover; the others still breach.
        List<WindowMetricsEvent> third = new ArrayList<>(early.stream()
                .map(t -> Windows.table(t, origin, 2, t.equals(shown) ? 10 : 1_000_000))
                .toList());
        third.add(Windows.table(late, origin, 2, 10));
        TestKafka.sendWindows(third.toArray(WindowMetricsEvent[]::new));
        await().atMost(WAIT).until(() -> resolved(webhookId).size() == 2);

        // The group's next notification shows the first table's resolution, not the late one's.
        Instant changed = first.plus(Duration.ofMinutes(2));
        flushUntilWritten(webhookId, changed, 2);
        await().atMost(WAIT).until(() -> messages.size() == 2);
        assertThat(messages.get(1).get("blocks").toString())
                .contains(shown, "1 more alert")
                .doesNotContain(late);

        // Delivered: the resolution shown was carried, so it is forgotten; the late one was not, so it stays in the
        // group, never counted as carried, and the group's next notification (the repeat) shows it.
        await().atMost(WAIT).until(() -> deliveries(webhookId).getList("status", String.class).stream()
                .allMatch("DELIVERED"::equals));
        assertThat(resolved(webhookId)).isEqualTo(Map.of(late, false));
        flushUntilWritten(webhookId, changed.plus(Duration.ofHours(2)), 3);
        await().atMost(WAIT).until(() -> messages.size() == 3);
        assertThat(messages.get(2).get("blocks").toString())
                .contains(late, "resolved at")
                .doesNotContain("more alert");
    }

    /** The tables of the webhook's resolved alerts still in its groups, each with whether a notification carried it. */
    private Map<String, Boolean> resolved(String webhookId) {
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

    /**
     * Flushes the webhook's groups as at {@code at} until it has {@code count} deliveries: a look the relay's timer
     * takes at that moment may hold the group.
     */
    private void flushUntilWritten(String webhookId, Instant at, int count) {
        await().atMost(WAIT).until(() -> {
            grouper.flush(at).await().atMost(WAIT);
            return deliveries(webhookId).getList("$").size() == count;
        });
    }

    /** How many alerts the webhook's groups hold. */
    private long members(String webhookId) {
        return pool.preparedQuery("SELECT count(*) FROM notification_group_alerts WHERE webhook_id = $1")
                .execute(Tuple.of(webhookId))
                .await()
                .atMost(Duration.ofSeconds(5))
                .iterator()
                .next()
                .getLong(0);
    }

    /** Silences the alerts whose label has the value, for an hour; returns the silence's id. */
    private static String silence(String label, String value) {
        return Api.admin()
                .body(Map.of(
                        "matchers",
                        List.of(Map.of("name", label, "value", value, "isRegex", false)),
                        "endsAt",
                        Instant.now().plus(Duration.ofHours(1)).toString(),
                        "createdBy",
                        "ana@example.com",
                        "comment",
                        "table migration"))
                .when()
                .post("/api/silences")
                .then()
                .statusCode(201)
                .extract()
                .path("id");
    }

    /** How many notifications the receiver got that carry the table's alert resolved. */
    private long resolutionsOf(String table, String rule) {
        return about(rule).stream()
                .filter(r -> "resolved".equals(tables(r).get(table)))
                .count();
    }

    /** When the webhook's group got its resolved alert, or null when it has none. */
    private Instant resolvedAt(String webhookId) {
        var rows = pool.preparedQuery(
                        "SELECT updated_at FROM notification_group_alerts WHERE webhook_id = $1 AND NOT firing")
                .execute(Tuple.of(webhookId))
                .await()
                .atMost(Duration.ofSeconds(5));
        return rows.size() == 0
                ? null
                : rows.iterator().next().getOffsetDateTime(0).toInstant();
    }

    private double notifications(String reason) {
        Counter counter = meters.find("rollguard.alert.webhook.notifications")
                .tag("reason", reason)
                .counter();
        return counter == null ? 0 : counter.count();
    }

    /** Collects the messages logged with {@code text} that name {@code argument}. */
    private static Handler capture(List<String> into, String text, String argument) {
        return new Handler() {
            @Override
            public void publish(LogRecord record) {
                // The message may come formatted already, or as a format and its arguments.
                String logged = record.getMessage() + " " + Arrays.toString(record.getParameters());
                if (logged.contains(text) && logged.contains(argument)) {
                    into.add(logged);
                }
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
    }

    /**
     * A trigger that makes one kind of statement (of the flush, or the dispatcher's claim) fail for one webhook, as a
     * serialization failure does (SQLSTATE 40001); a sequence, which a rollback does not undo, counts the failures.
     */
    record FailingStatement(Pool pool, String name) {

        static FailingStatement on(Pool pool, String table, String event, String webhookId) {
            return on(pool, table, event, webhookId, "true");
        }

        /** Only the rows that also meet {@code condition} (SQL over the trigger's row). */
        static FailingStatement on(Pool pool, String table, String event, String webhookId, String condition) {
            assertThat(webhookId).matches("[a-zA-Z0-9-]+");
            String name = "test_fail_" + UUID.randomUUID().toString().replace("-", "");
            String row = event.equals("DELETE") ? "OLD" : "NEW";
            for (String sql : List.of(
                    "CREATE SEQUENCE " + name,
                    "CREATE FUNCTION " + name + "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM nextval('"
                            + name
                            + "'); RAISE EXCEPTION 'refused by the test' USING ERRCODE = 'serialization_failure';"
                            + " END $$",
                    "CREATE TRIGGER " + name + " BEFORE " + event + " ON " + table + " FOR EACH ROW WHEN (" + row
                            + ".webhook_id = '" + webhookId + "' AND (" + condition + ")) EXECUTE FUNCTION " + name
                            + "()")) {
                pool.query(sql).execute().await().atMost(Duration.ofSeconds(5));
            }
            return new FailingStatement(pool, name);
        }

        long failures() {
            return pool.query("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM " + name)
                    .execute()
                    .await()
                    .atMost(Duration.ofSeconds(5))
                    .iterator()
                    .next()
                    .getLong(0);
        }

        void remove() {
            for (String sql : List.of("DROP FUNCTION " + name + "() CASCADE", "DROP SEQUENCE " + name)) {
                pool.query(sql).execute().await().atMost(Duration.ofSeconds(5));
            }
        }
    }

    private double droppedResolutions() {
        Counter counter =
                meters.find("rollguard.alert.webhook.resolutions.dropped").counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void aResolvedAlertWhoseNotificationFailedIsCarriedByTheGroupsNextOneUntilDeliveredThenNoMore() {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String rule = veryslowRule(suffix);
        String recovering = "grp-rec-" + suffix;
        String stillSlow = "grp-slow-" + suffix;
        JsonPath webhook = register(Map.of(
                "groupWait",
                "1s",
                "groupInterval",
                "3s",
                "repeatInterval",
                "4h",
                "matchers",
                List.of(Map.of("name", "rule_id", "value", rule))));
        String webhookId = webhook.getString("id");
        Instant origin = Instant.parse("2026-06-05T10:00:00Z");

        // Two tables breach at once: one group, both alerts firing, delivered.
        TestKafka.sendWindows(
                Windows.table(recovering, origin, 0, 1_000_000), Windows.table(stillSlow, origin, 0, 1_000_000));
        await().atMost(WAIT)
                .until(() -> !about(rule).isEmpty()
                        && tables(last(about(rule))).equals(Map.of(recovering, "firing", stillSlow, "firing"))
                        && !deliveries(webhookId)
                                .getList("status", String.class)
                                .contains("PENDING"));
        int notified = about(rule).size();
        int written = deliveries(webhookId).getList("$").size();

        // One table recovers while the other still breaches, and the receiver is down for every attempt (1 + 3
        // retries in tests) of the notification that carries the resolution.
        failing.set(4);
        TestKafka.sendWindows(Windows.table(recovering, origin, 1, 10), Windows.table(stillSlow, origin, 1, 1_000_000));

        // Newest first: the group's next notification delivered, the one carrying the resolution failed.
        await().atMost(WAIT).until(() -> {
            List<String> statuses = deliveries(webhookId).getList("status", String.class);
            return statuses.size() == written + 2 && statuses.subList(0, 2).equals(List.of("DELIVERED", "FAILED"));
        });
        JsonPath records = deliveries(webhookId);
        assertThat(records.getInt("[1].attempts"))
                .as("the resolution's every attempt")
                .isEqualTo(4);
        assertThat(Duration.between(
                        Instant.parse(records.getString("[1].createdAt")),
                        Instant.parse(records.getString("[0].createdAt"))))
                .as("sent again at the next group interval, far from the repeat interval")
                .isGreaterThanOrEqualTo(GROUP_INTERVAL)
                .isLessThan(Duration.ofMinutes(5));
        assertThat(about(rule)).hasSize(notified + 1);
        Received again = last(about(rule));
        assertThat(again.status()).isEqualTo("firing");
        assertThat(tables(again))
                .as("the resolution the receiver never had, with what still fires")
                .isEqualTo(Map.of(recovering, "resolved", stillSlow, "firing"));

        // Delivered: the group's next notification (the repeat, looked at past the repeat interval) carries only what
        // still fires. A look the relay's timer takes at that moment holds the group, so look until one notifies it.
        Instant repeat = Instant.now().plus(Duration.ofHours(5));
        await().atMost(WAIT).until(() -> {
            grouper.flush(repeat).await().atMost(WAIT);
            return about(rule).size() == notified + 2;
        });
        assertThat(tables(last(about(rule))))
                .as("a resolution delivered is not sent again")
                .isEqualTo(Map.of(stillSlow, "firing"));
    }

    private static Received last(List<Received> notifications) {
        return notifications.get(notifications.size() - 1);
    }

    /** The status of each alert a notification carries, by table. */
    private static Map<String, String> tables(Received notification) {
        return notification.alerts().stream()
                .collect(Collectors.toMap(a -> a.get("labels").get("table").asText(), a -> a.get("status")
                        .asText()));
    }

    /** How many notification groups the webhook has. */
    private long groups(String webhookId) {
        return pool.preparedQuery("SELECT count(*) FROM notification_groups WHERE webhook_id = $1")
                .execute(Tuple.of(webhookId))
                .await()
                .atMost(Duration.ofSeconds(5))
                .iterator()
                .next()
                .getLong(0);
    }

    private String veryslowRule(String suffix) {
        String rule = "very-slow-" + suffix;
        Api.admin()
                .body(
                        """
                        {"id": "%s", "name": "Very slow tables", "metric": "durationMaxMs", "comparator": "GT",
                         "critical": {"threshold": 900000}, "forSeconds": 0, "keepFiringForSeconds": 0,
                         "minSampleSize": 10, "scope": {"types": ["TABLE"]}}"""
                                .formatted(rule))
                .when()
                .post("/api/rules")
                .then()
                .statusCode(201);
        ruleIds.add(rule);
        return rule;
    }

    private static Set<String> resolvedFingerprints(List<Received> notifications) {
        return notifications.stream()
                .flatMap(r -> r.alerts().stream())
                .filter(a -> "resolved".equals(a.get("status").asText()))
                .map(a -> a.get("fingerprint").asText())
                .collect(Collectors.toSet());
    }

    @Test
    void guardAlertsOfTwoFlagsAreTwoNotifications() {
        register(Map.of("groupWait", "2s"));
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String first = "grp-sync-" + suffix;
        String second = "grp-ui-" + suffix;
        Instant origin = Instant.parse("2026-06-02T10:00:00Z");

        // Both flags' treatments fail five times as often as their controls: a critical guard alert each.
        for (int minute = 0; minute < 2; minute++) {
            TestKafka.sendWindows(
                    Windows.cohort(first, Cohort.CONTROL, origin, minute, 1000, 20),
                    Windows.cohort(first, Cohort.TREATMENT, origin, minute, 1000, 100),
                    Windows.cohort(second, Cohort.CONTROL, origin, minute, 1000, 20),
                    Windows.cohort(second, Cohort.TREATMENT, origin, minute, 1000, 100));
        }

        await().atMost(WAIT).until(() -> flagsNotified().containsAll(Set.of(first, second)));
        List<Received> guard = received.stream()
                .filter(r -> "guard".equals(r.groupLabel("rule_id")) && "critical".equals(r.groupLabel("severity")))
                .filter(r -> Set.of(first, second).contains(r.groupLabel("flag")))
                .toList();
        assertThat(guard).hasSize(2);
        assertThat(guard.stream().map(Received::groupKey).distinct()).hasSize(2);
        assertThat(guard).allSatisfy(r -> {
            assertThat(r.status()).isEqualTo("firing");
            assertThat(r.alerts())
                    .allSatisfy(a ->
                            assertThat(a.get("labels").get("flag").asText()).isEqualTo(r.groupLabel("flag")));
            assertThat(r.body().get("commonLabels").get("flag").asText()).isEqualTo(r.groupLabel("flag"));
        });
    }

    private Set<String> flagsNotified() {
        return received.stream()
                .filter(r -> "guard".equals(r.groupLabel("rule_id")) && "critical".equals(r.groupLabel("severity")))
                .map(r -> r.groupLabel("flag"))
                .filter(f -> f != null)
                .collect(Collectors.toSet());
    }

    @Test
    void showsTheDefaultsAndAcceptsGroupingSettings() {
        JsonPath defaults = register(Map.of());
        assertThat(defaults.getList("groupBy")).containsExactly("rule_id", "severity", "flag");
        assertThat(defaults.getString("groupWait")).isEqualTo("10s");
        assertThat(defaults.getString("groupInterval")).isEqualTo("1m");
        assertThat(defaults.getString("repeatInterval")).isEqualTo("4h");

        String id = defaults.getString("id");
        Api.admin()
                .body(Map.of(
                        "name",
                        "team pager",
                        "url",
                        "http://127.0.0.1:1/x",
                        "groupBy",
                        List.of("team"),
                        "groupWait",
                        "30s",
                        "groupInterval",
                        "5m",
                        "repeatInterval",
                        "1h30m"))
                .when()
                .put("/api/webhooks/" + id)
                .then()
                .statusCode(200)
                .body("groupBy", equalTo(List.of("team")))
                .body("groupWait", equalTo("30s"))
                .body("groupInterval", equalTo("5m"))
                .body("repeatInterval", equalTo("1h30m"));
        Api.reader()
                .when()
                .get("/api/webhooks/" + id)
                .then()
                .statusCode(200)
                .body("groupBy", equalTo(List.of("team")))
                .body("repeatInterval", equalTo("1h30m"));
    }

    @Test
    void refusesBadGroupingSettingsWithClearErrors() {
        List<Map<String, Object>> cases = List.of(
                Map.of("groupWait", "10"),
                Map.of("groupWait", "-1s"),
                Map.of("groupWait", "2h"),
                Map.of("groupInterval", "0s"),
                Map.of("groupInterval", "soon"),
                Map.of("repeatInterval", "31d"),
                Map.of("groupInterval", "10m", "repeatInterval", "5m"),
                Map.of("groupBy", List.of("rule-id")),
                Map.of("groupBy", List.of("")),
                Map.of("groupBy", List.of("rule_id", "rule_id")),
                Map.of(
                        "groupBy",
                        java.util.stream.IntStream.range(0, 17)
                                .mapToObj(i -> "l" + i)
                                .toList()));
        List<String> fields = List.of(
                "groupWait",
                "groupWait",
                "groupWait",
                "groupInterval",
                "groupInterval",
                "repeatInterval",
                "repeatInterval",
                "groupBy[0]",
                "groupBy[0]",
                "groupBy",
                "groupBy");
        for (int i = 0; i < cases.size(); i++) {
            Map<String, Object> body = new HashMap<>(cases.get(i));
            body.put("name", "bad");
            body.put("url", "http://127.0.0.1:1/x");
            String field = fields.get(i);
            Api.admin()
                    .body(body)
                    .when()
                    .post("/api/webhooks")
                    .then()
                    .statusCode(400)
                    .body("code", equalTo("VALIDATION_FAILED"))
                    .body("message", org.hamcrest.Matchers.not(org.hamcrest.Matchers.emptyOrNullString()))
                    .body("violations.field", hasItem(startsWith(field)));
        }
    }
}
