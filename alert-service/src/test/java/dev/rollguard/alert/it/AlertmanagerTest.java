package dev.rollguard.alert.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.rollguard.alert.support.AlertTestResource;
import dev.rollguard.alert.support.Alertmanager;
import dev.rollguard.alert.support.Api;
import dev.rollguard.alert.support.Prometheus;
import dev.rollguard.alert.support.Rules;
import dev.rollguard.alert.support.TestKafka;
import dev.rollguard.alert.support.Windows;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.AlertStatus;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Rollguard with a real Prometheus Alertmanager (Debian's {@code prometheus-alertmanager}, {@link Alertmanager}):
 * Rollguard's alerts reach it through an {@code alertmanager} receiver and obey its silences there, while the guard
 * still gets them; and an alert that Alertmanager routes to Rollguard's inbound endpoint, naming a flag, becomes one
 * firing alert on the {@code alerts} topic however often Alertmanager sends it.
 */
@QuarkusTest
@QuarkusTestResource(AlertTestResource.class)
class AlertmanagerTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TestHTTPResource("/api/alerts/inbound")
    URL inbound;

    private final Alertmanager alertmanager = Alertmanager.shared();
    private HttpServer pager;
    private final List<String> paged = new CopyOnWriteArrayList<>();
    private final List<String> webhookIds = new ArrayList<>();
    private final List<String> ruleIds = new ArrayList<>();

    @BeforeEach
    void startPager() throws IOException {
        pager = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        pager.createContext("/pager", exchange -> {
            paged.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        pager.start();
    }

    @AfterEach
    void stop() {
        webhookIds.forEach(id -> Api.admin().when().delete("/api/webhooks/" + id));
        ruleIds.forEach(id -> Api.admin().when().delete("/api/rules/" + id));
        pager.stop(0);
    }

    @Test
    void rollguardAlertsArriveInAlertmanagerAndObeyItsSilencesWhileTheGuardStillGetsThem() {
        alertmanager.configure(
                """
                route:
                  receiver: pager
                  group_by: ['alertname', 'table']
                  group_wait: 0s
                  group_interval: 1s
                  repeat_interval: 1h
                receivers:
                  - name: pager
                    webhook_configs:
                      - url: http://127.0.0.1:%d/pager
                        send_resolved: true
                """
                        .formatted(pager.getAddress().getPort()));
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String silenced = "s" + suffix;
        String paging = "p" + suffix;
        String silenceId = alertmanager.silence("table", silenced, "maintenance of " + silenced);
        String webhookId = Api.admin()
                .body(Map.of(
                        "name", "team alertmanager",
                        "kind", "alertmanager",
                        "url", alertmanager.url(),
                        "groupWait", "0s",
                        "groupInterval", "1s"))
                .when()
                .post("/api/webhooks")
                .then()
                .statusCode(201)
                .extract()
                .path("id");
        webhookIds.add(webhookId);
        for (String table : List.of(silenced, paging)) {
            Rules.slowTable("am-" + table, table, 0, 0);
            ruleIds.add("am-" + table);
        }
        Instant origin = Instant.parse("2026-07-01T10:00:00Z");

        TestKafka.sendWindows(Windows.table(silenced, origin, 0, 5000), Windows.table(paging, origin, 0, 5000));

        // Both arrive in Alertmanager, with Rollguard's labels; the one under the silence is suppressed by it.
        await().atMost(WAIT).until(() -> inAlertmanager(silenced) != null && inAlertmanager(paging) != null);
        JsonNode quiet = inAlertmanager(silenced);
        assertThat(quiet.get("status").get("state").asText()).isEqualTo("suppressed");
        assertThat(quiet.get("status").get("silencedBy").toString()).contains(silenceId);
        assertThat(quiet.get("labels").get("severity").asText()).isEqualTo("critical");
        assertThat(quiet.get("labels").get("rule_id").asText()).isEqualTo("am-" + silenced);
        JsonNode loud = inAlertmanager(paging);
        assertThat(loud.get("status").get("state").asText()).isEqualTo("active");
        assertThat(loud.get("startsAt").asText()).startsWith("2026-07-01T10:01:00");

        // Alertmanager pages for the other one only.
        await().atMost(WAIT).until(() -> pagedAbout(paging) > 0);
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).until(() -> pagedAbout(silenced) == 0);

        // Rollguard's side is unchanged by a silence elsewhere: both alerts are on the alerts topic, where the
        // rollback-service acts on them, and both were delivered to Alertmanager.
        List<AlertEvent> published = TestKafka.alerts().stream()
                .map(ConsumerRecord::value)
                .filter(a ->
                        a.getRuleId().equals("am-" + silenced) || a.getRuleId().equals("am-" + paging))
                .toList();
        assertThat(published)
                .extracting(AlertEvent::getRuleId)
                .containsExactlyInAnyOrder("am-" + silenced, "am-" + paging);
        assertThat(published).allMatch(a -> a.getStatus() == AlertStatus.FIRING);

        // The silenced table recovers: Rollguard tells Alertmanager, which no longer lists it as firing.
        TestKafka.sendWindows(Windows.table(silenced, origin, 1, 10));
        await().atMost(WAIT).until(() -> inAlertmanager(silenced) == null);
        assertThat(inAlertmanager(paging)).isNotNull();
    }

    @Test
    void anAlertmanagerRoutedAlertNamingAFlagFiresOnceOnTheAlertsTopic() {
        alertmanager.configure(
                """
                route:
                  receiver: nobody
                  group_wait: 0s
                  group_interval: 1s
                  repeat_interval: 1h
                  routes:
                    - receiver: rollguard
                      matchers: ['rollguard_flag=~".+"']
                      group_by: ['alertname', 'rollguard_flag']
                      group_wait: 0s
                      group_interval: 1s
                      repeat_interval: 2s
                receivers:
                  - name: nobody
                  - name: rollguard
                    webhook_configs:
                      - url: %s
                        send_resolved: true
                        http_config:
                          authorization:
                            credentials: test-inbound-token
                """
                        .formatted(inbound));
        String flag = "am-flag-" + UUID.randomUUID().toString().substring(0, 8);
        Instant started = Instant.now().minusSeconds(60);
        Map<String, Object> labels =
                Map.of("alertname", "CheckoutErrors", "severity", "critical", "rollguard_flag", flag);
        double duplicatesBefore = Prometheus.value("rollguard_alert_inbound_total", "outcome=\"duplicate\"");

        alertmanager.post(List.of(Map.of(
                "labels", labels,
                "annotations", Map.of("summary", "5xx ratio above 5 % on checkout"),
                "startsAt", started.toString(),
                "endsAt", Instant.now().plus(Duration.ofHours(1)).toString(),
                "generatorURL", "http://prometheus.example:9090/graph")));

        await().atMost(WAIT).until(() -> about(flag).size() == 1);
        AlertEvent firing = about(flag).get(0);
        assertThat(firing.getStatus()).isEqualTo(AlertStatus.FIRING);
        assertThat(firing.getComparator()).isEqualTo("EXTERNAL");
        assertThat(firing.getRuleName()).isEqualTo("CheckoutErrors");
        assertThat(firing.getStartsAt().getEpochSecond()).isEqualTo(started.getEpochSecond());
        assertThat(firing.getAnnotations().get("rollguard_source")).startsWith("http://");

        // Alertmanager repeats the notification every 2 s: Rollguard takes each as a copy of the same alert.
        await().atMost(WAIT)
                .until(() -> Prometheus.value("rollguard_alert_inbound_total", "outcome=\"duplicate\"")
                        >= duplicatesBefore + 2);
        assertThat(about(flag)).hasSize(1);

        // Resolved in Alertmanager: one resolution, and Alertmanager's later notifications change nothing.
        alertmanager.post(List.of(Map.of(
                "labels", labels,
                "startsAt", started.toString(),
                "endsAt", Instant.now().toString())));
        await().atMost(WAIT).until(() -> about(flag).size() == 2);
        assertThat(about(flag).get(1).getStatus()).isEqualTo(AlertStatus.RESOLVED);
        assertThat(about(flag).get(1).getFingerprint()).isEqualTo(firing.getFingerprint());
        await().during(Duration.ofSeconds(3))
                .atMost(Duration.ofSeconds(6))
                .until(() -> about(flag).size() == 2);
    }

    private JsonNode inAlertmanager(String table) {
        return alertmanager.alerts().stream()
                .filter(a -> table.equals(a.path("labels").path("table").asText()))
                .findFirst()
                .orElse(null);
    }

    private long pagedAbout(String table) {
        return paged.stream().filter(body -> body.contains(table)).count();
    }

    private static List<AlertEvent> about(String flag) {
        return TestKafka.alerts().stream()
                .map(ConsumerRecord::value)
                .filter(a -> flag.equals(a.getFlagKey()))
                .toList();
    }
}
