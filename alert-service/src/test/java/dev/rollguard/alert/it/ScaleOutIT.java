package dev.rollguard.alert.it;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.rollguard.alert.support.TestKafka;
import dev.rollguard.alert.support.Windows;
import dev.rollguard.infra.Ports;
import dev.rollguard.infra.ServiceProcess;
import dev.rollguard.infra.StackSettings;
import dev.rollguard.infra.Tokens;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.AlertStatus;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import io.restassured.http.ContentType;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Three packaged alert-service processes share the partitions of {@code metrics.windows} on the real broker and the
 * real PostgreSQL server. Windows of many tables flow in: some breach and recover, some breach and go silent (their
 * alerts resolve by the no-data sweep), some stay healthy. One instance is killed (SIGKILL) in the middle of the
 * stream; its partitions move to the others. Every transition is stored once, published on {@code alerts} once and
 * notified once; none is lost.
 */
class ScaleOutIT {

    private static final Tokens TOKENS = Tokens.random("scaleout");
    private static final String ADMIN_TOKEN = TOKENS.admin();
    private static final Duration STARTUP = Duration.ofSeconds(120);
    private static final Duration FLOW = Duration.ofSeconds(100);
    private static final String RUN = UUID.randomUUID().toString().substring(0, 8);
    private static final String RULE = "scaleout-" + RUN;
    private static final String DATABASE = "rollguard_alerts_scaleout_" + RUN;
    private static final Instant ORIGIN = Instant.parse("2026-05-04T08:00:00Z");
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final Map<String, ServiceProcess> processes = new LinkedHashMap<>();
    private static final List<Notification> notifications = new CopyOnWriteArrayList<>();
    private static HttpServer receiver;

    /** One notification as the receiver got it: its delivery id and, per alert, its scope and status. */
    private record Notification(String deliveryId, String groupScope, String status) {}

    @BeforeAll
    static void receiver() throws IOException {
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/hook", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            JsonNode payload = JSON.readTree(body);
            notifications.add(new Notification(
                    exchange.getRequestHeaders().getFirst("X-Rollguard-Delivery"),
                    payload.path("groupLabels").path("scope").asText(),
                    payload.path("status").asText()));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        receiver.start();
    }

    @AfterAll
    static void stop() {
        processes.values().forEach(ServiceProcess::kill);
        if (receiver != null) {
            receiver.stop(0);
        }
    }

    @Test
    void killingOneOfThreeInstancesMidStreamLosesAndRepeatsNoTransition() throws Exception {
        String a = launch("scaleout-a").awaitReady().url();
        // Created before the other instances start: each loads rules and subscriptions at start.
        given().baseUri(a)
                .header("Authorization", "Bearer " + ADMIN_TOKEN)
                .contentType(ContentType.JSON)
                .body(
                        """
                        {"id": "%s", "name": "Slow table %s", "metric": "durationMaxMs", "comparator": "GT",
                         "critical": {"threshold": 1000}, "forSeconds": 0, "keepFiringForSeconds": 0,
                         "minSampleSize": 1, "noDataPolicy": "RESOLVE", "scope": {"types": ["TABLE"]}}"""
                                .formatted(RULE, RUN))
                .post("/api/rules")
                .then()
                .statusCode(201);
        given().baseUri(a)
                .header("Authorization", "Bearer " + ADMIN_TOKEN)
                .contentType(ContentType.JSON)
                .body(
                        """
                        {"name": "scale-out receiver", "url": "http://127.0.0.1:%d/hook", "groupBy": ["scope"],
                         "groupWait": "1s", "groupInterval": "1s"}"""
                                .formatted(receiver.getAddress().getPort()))
                .post("/api/webhooks")
                .then()
                .statusCode(201);
        launch("scaleout-b");
        launch("scaleout-c");
        processes.get("scaleout-b").awaitReady();
        processes.get("scaleout-c").awaitReady();
        // The group settled: each instance holds one of the three partitions.
        await().atMost(STARTUP)
                .pollInterval(Duration.ofMillis(250))
                .until(() -> owners().values().stream().distinct().count() == 3);

        List<String> recovering = tables("b", 12);
        List<String> silent = tables("s", 12);
        List<String> lateBreach = tables("l", 12);
        List<String> healthy = tables("h", 24);

        // Minute 0: breaches begin; every scope is seen once.
        List<WindowMetricsEvent> first = new ArrayList<>();
        recovering.forEach(t -> first.add(Windows.table(t, ORIGIN, 0, 5000)));
        silent.forEach(t -> first.add(Windows.table(t, ORIGIN, 0, 5000)));
        healthy.forEach(t -> first.add(Windows.table(t, ORIGIN, 0, 100)));
        var sent = TestKafka.sendWindows(first.toArray(WindowMetricsEvent[]::new));
        Map<String, Integer> partitionOf = new HashMap<>();
        for (int i = 0; i < first.size(); i++) {
            partitionOf.put(first.get(i).getTable(), sent.get(i).partition());
        }
        Set<String> breached = new java.util.HashSet<>(recovering);
        breached.addAll(silent);
        await().atMost(FLOW).pollInterval(Duration.ofMillis(250)).until(() -> notifiedScopes("firing")
                .containsAll(scopes(breached)));

        // The instance holding the most silent scopes is killed right after the next minute's windows are sent.
        Map<Integer, String> owners = owners();
        int victimPartition =
                silent.stream()
                        .collect(Collectors.groupingBy(partitionOf::get, Collectors.counting()))
                        .entrySet()
                        .stream()
                        .max(Map.Entry.comparingByValue())
                        .orElseThrow()
                        .getKey();
        String victimOwner = owners.get(victimPartition);
        String victim = processes.keySet().stream()
                .filter(victimOwner::startsWith)
                .findFirst()
                .orElseThrow();

        List<WindowMetricsEvent> second = new ArrayList<>();
        recovering.forEach(t -> second.add(Windows.table(t, ORIGIN, 1, 100)));
        lateBreach.forEach(t -> second.add(Windows.table(t, ORIGIN, 1, 5000)));
        healthy.forEach(t -> second.add(Windows.table(t, ORIGIN, 1, 100)));
        TestKafka.sendWindows(second.toArray(WindowMetricsEvent[]::new));
        processes.get(victim).kill();

        for (int minute = 2; minute <= 4; minute++) {
            List<WindowMetricsEvent> next = new ArrayList<>();
            int m = minute;
            lateBreach.forEach(t -> next.add(Windows.table(t, ORIGIN, m, m < 4 ? 5000 : 100)));
            healthy.forEach(t -> next.add(Windows.table(t, ORIGIN, m, 100)));
            TestKafka.sendWindows(next.toArray(WindowMetricsEvent[]::new));
        }

        // Every breached scope fires once and resolves once: by its windows or, silent, by the sweep of its owner.
        Set<String> expected = new java.util.TreeSet<>();
        for (String table : concat(recovering, silent, lateBreach)) {
            expected.add("table:" + table + " FIRING");
            expected.add("table:" + table + " RESOLVED");
        }
        await().atMost(FLOW).pollInterval(Duration.ofSeconds(1)).until(() -> stored().keySet()
                .containsAll(expected));
        // Nothing left to publish or to deliver: whatever was going to be repeated has been by now.
        await().atMost(FLOW)
                .pollInterval(Duration.ofSeconds(1))
                .until(() -> count("SELECT count(*) FROM alerts WHERE published_at IS NULL") == 0
                        && count("SELECT count(*) FROM webhook_deliveries WHERE status <> 'DELIVERED'") == 0
                        && count("SELECT count(*) FROM notification_groups WHERE dirty") == 0
                        && notifiedScopes("resolved").containsAll(scopes(concat(recovering, silent, lateBreach))));

        // Stored once each, and nothing more than expected (healthy scopes never alerted).
        Map<String, Long> stored = stored();
        assertThat(stored.keySet()).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(stored.values()).allMatch(n -> n == 1);

        // Published once each. The only repeat Kafka's at-least-once relay allows is of a transition the killed
        // instance had sent but not yet marked published when it died.
        List<AlertEvent> published = TestKafka.alerts().stream()
                .map(ConsumerRecord::value)
                .filter(e -> e.getRuleId().equals(RULE))
                .toList();
        assertThat(published.stream()
                        .map(e -> e.getScopeKey() + " " + e.getStatus())
                        .collect(Collectors.toSet()))
                .containsExactlyInAnyOrderElementsOf(expected);
        // In stored order per fingerprint, the killed instance's unpublished transitions included: a scope's FIRING
        // (or its repeat) never comes after its RESOLVED.
        Map<String, AlertStatus> latest = new HashMap<>();
        published.forEach(e -> latest.put(e.getScopeKey(), e.getStatus()));
        assertThat(latest).allSatisfy((scope, status) -> assertThat(status)
                .as("last transition of %s on the topic", scope)
                .isEqualTo(AlertStatus.RESOLVED));
        Map<String, Long> copies =
                published.stream().collect(Collectors.groupingBy(AlertEvent::getAlertId, Collectors.counting()));
        Map<String, String> storedBy = storedBy();
        copies.forEach((alertId, n) -> {
            if (n > 1) {
                assertThat(storedBy.get(alertId))
                        .as("alert %s published %d times", alertId, n)
                        .startsWith(victim);
            }
        });

        // Notified once each, as a receiver that deduplicates on X-Rollguard-Delivery sees it (delivery is at least
        // once: a notification the killed instance had sent but not yet marked delivered when it died is sent again
        // by the survivor that takes its group over, under the same delivery id and with the same content). Then per
        // scope one firing and one resolved notification (a scope that fired and recovered before its group's first
        // notification may have the resolved one alone).
        Map<String, Notification> delivered = new LinkedHashMap<>();
        for (Notification n : notifications) {
            Notification earlier = delivered.putIfAbsent(n.deliveryId(), n);
            if (earlier != null) {
                assertThat(n).as("delivery %s sent again", n.deliveryId()).isEqualTo(earlier);
            }
        }
        Map<String, List<String>> byScope = delivered.values().stream()
                .collect(Collectors.groupingBy(
                        Notification::groupScope,
                        LinkedHashMap::new,
                        Collectors.mapping(Notification::status, Collectors.toList())));
        for (String scope : scopes(concat(recovering, silent))) {
            assertThat(byScope.get(scope)).as(scope).containsExactly("firing", "resolved");
        }
        for (String scope : scopes(lateBreach)) {
            assertThat(byScope.get(scope)).as(scope).isIn(List.of("firing", "resolved"), List.of("resolved"));
        }
        assertThat(byScope.keySet()).doesNotContainAnyElementsOf(scopes(healthy));
        // The killed instance's partition is held by a survivor.
        assertThat(owners().get(victimPartition)).doesNotStartWith(victim);
    }

    @SafeVarargs
    private static List<String> concat(List<String>... lists) {
        List<String> all = new ArrayList<>();
        for (List<String> list : lists) {
            all.addAll(list);
        }
        return all;
    }

    private static List<String> tables(String kind, int n) {
        return IntStream.range(0, n).mapToObj(i -> RUN + "-" + kind + i).toList();
    }

    private static Set<String> scopes(java.util.Collection<String> tables) {
        return tables.stream().map(t -> "table:" + t).collect(Collectors.toSet());
    }

    private static Set<String> notifiedScopes(String status) {
        return notifications.stream()
                .filter(n -> n.status().equals(status))
                .map(Notification::groupScope)
                .collect(Collectors.toSet());
    }

    /** How often each (scope, status) transition of the rule is stored. */
    private static Map<String, Long> stored() throws SQLException {
        return query(
                "SELECT scope_key || ' ' || status, count(*) FROM alerts WHERE rule_id = ? GROUP BY 1",
                rs -> Map.entry(rs.getString(1), rs.getLong(2)));
    }

    private static Map<String, String> storedBy() throws SQLException {
        return query(
                "SELECT alert_id, coalesce(stored_by, '') FROM alerts WHERE rule_id = ?",
                rs -> Map.entry(rs.getString(1), rs.getString(2)));
    }

    private static Map<Integer, String> owners() throws SQLException {
        Map<Integer, String> owners = new HashMap<>();
        try (Connection db = database();
                PreparedStatement statement = db.prepareStatement(
                        "SELECT partition_no, owner FROM partition_owners WHERE topic = 'metrics.windows'");
                ResultSet rs = statement.executeQuery()) {
            while (rs.next()) {
                owners.put(rs.getInt(1), rs.getString(2));
            }
        }
        return owners;
    }

    private static long count(String sql) throws SQLException {
        try (Connection db = database();
                PreparedStatement statement = db.prepareStatement(sql);
                ResultSet rs = statement.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private interface RowReader<K, V> {
        Map.Entry<K, V> read(ResultSet rs) throws SQLException;
    }

    private static <K, V> Map<K, V> query(String sql, RowReader<K, V> reader) throws SQLException {
        Map<K, V> rows = new HashMap<>();
        try (Connection db = database();
                PreparedStatement statement = db.prepareStatement(sql)) {
            statement.setString(1, RULE);
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    Map.Entry<K, V> row = reader.read(rs);
                    rows.put(row.getKey(), row.getValue());
                }
            }
        }
        return rows;
    }

    private static Connection database() throws SQLException {
        StackSettings settings = StackSettings.sharedInfra(TOKENS);
        return DriverManager.getConnection(
                settings.jdbcUrl().apply(DATABASE),
                StackSettings.user(settings.dbUser()),
                StackSettings.password(settings.dbPassword()));
    }

    /**
     * Starts the packaged service as Kubernetes runs a replica: production configuration from the environment (this
     * run's database), shortened timers.
     */
    private static ServiceProcess launch(String name) {
        ServiceProcess process = ServiceProcess.packaged(
                        name, Path.of("target/quarkus-app/quarkus-run.jar").toAbsolutePath())
                .port(Ports.free())
                .jvmArgs(List.of("-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"))
                .env(StackSettings.sharedInfra(TOKENS).environment("alert-service", DATABASE))
                // The instance's name starts with its host name, as a pod's does.
                .env("HOSTNAME", name)
                .properties(List.of(
                        "alert-service.load-default-rules=false",
                        "mp.messaging.incoming.windows.group.id=alert-scaleout-" + RUN,
                        // A killed member's partitions move after its session times out: the broker's minimum, not
                        // 45 s.
                        "mp.messaging.incoming.windows.session.timeout.ms=6000",
                        "mp.messaging.incoming.windows.heartbeat.interval.ms=1000",
                        "alert-service.evaluation.no-data-after=10s",
                        "alert-service.evaluation.sweep-interval=1s",
                        "alert-service.webhooks.claim-lease=30s",
                        "alert-service.webhooks.timeout=2s"))
                .log(Path.of("target/scaleout-logs", name + ".log").toAbsolutePath())
                .start();
        processes.put(name, process);
        return process;
    }
}
