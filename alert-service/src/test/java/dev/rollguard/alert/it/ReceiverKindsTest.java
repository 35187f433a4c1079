package dev.rollguard.alert.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Subscriptions of each receiver kind over the API, and alerts reaching a Slack-compatible webhook, PagerDuty's
 * Events API and an Alertmanager (local HTTP receivers on a loopback port standing in for them) in their shapes.
 */
@QuarkusTest
@QuarkusTestResource(AlertTestResource.class)
class ReceiverKindsTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ROUTING_KEY = "Rpagerdutyintegrationkey0000abcd";

    /** One request a receiver got. */
    record Received(String path, JsonNode body, String raw) {}

    private HttpServer server;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final List<String> webhookIds = new ArrayList<>();
    private final List<String> ruleIds = new ArrayList<>();

    @BeforeEach
    void startReceivers() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        for (String path : List.of("/slack", "/pd", "/am")) {
            server.createContext(path, this::answer);
        }
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
        received.add(new Received(exchange.getRequestURI().getPath(), JSON.readTree(body), body));
        exchange.sendResponseHeaders(200, -1);
        exchange.close();
    }

    private String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    private JsonPath register(Map<String, Object> body) {
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

    @Test
    void aWebhookUrlIsShownInFullOnlyWhenCreatedAndReadBackAsItsSchemeHostAndPort() {
        // A Slack incoming webhook's path, a token in the query and credentials in the URL are secrets themselves.
        String secretUrl = "http://hook:s3cret@127.0.0.1:1/services/T000/B000/XXXXSECRETPATH?token=qtoken";
        Map<String, Object> subscription = webhook(
                "slack-secret",
                "kind",
                "slack",
                "url",
                secretUrl,
                "matchers",
                List.of(Map.of("name", "rule_id", "value", "none-" + UUID.randomUUID())));
        JsonPath created = register(subscription);
        assertThat(created.getString("url")).isEqualTo(secretUrl);
        String id = created.getString("id");
        String one = Api.reader()
                .when()
                .get("/api/webhooks/" + id)
                .then()
                .statusCode(200)
                .body("url", equalTo("http://127.0.0.1:1/\u2026"))
                .extract()
                .asString();
        String listed = Api.reader()
                .when()
                .get("/api/webhooks")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        for (String answer : List.of(one, listed)) {
            assertThat(answer).doesNotContain("XXXXSECRETPATH", "qtoken", "s3cret");
        }
        Api.admin()
                .body(subscription)
                .when()
                .put("/api/webhooks/" + id)
                .then()
                .statusCode(200)
                .body("url", equalTo("http://127.0.0.1:1/\u2026"));
    }

    private static Map<String, Object> webhook(String name, Object... settings) {
        Map<String, Object> body = new HashMap<>();
        body.put("name", name);
        for (int i = 0; i < settings.length; i += 2) {
            body.put((String) settings[i], settings[i + 1]);
        }
        return body;
    }

    private static void refused(Map<String, Object> body, String field, String message) {
        Api.admin()
                .body(body)
                .when()
                .post("/api/webhooks")
                .then()
                .statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED"))
                .body("violations.field", hasItem(field))
                .body("violations.find { it.field == '" + field + "' }.message", equalTo(message));
    }

    @Test
    void kindsAndTheirSettingsAreValidatedAndTheRoutingKeyIsNeverShown() {
        refused(
                webhook("x", "kind", "teams", "url", "http://127.0.0.1:1/x"),
                "kind",
                "must be one of generic, slack, pagerduty, alertmanager");
        refused(
                webhook("x", "kind", "pagerduty"),
                "routingKey",
                "is required for kind pagerduty (the integration key)");
        refused(
                webhook("x", "kind", "slack", "url", "http://127.0.0.1:1/x", "routingKey", ROUTING_KEY),
                "routingKey",
                "is only for kind pagerduty");
        refused(
                webhook("x", "kind", "alertmanager", "url", "http://127.0.0.1:1", "events", List.of("actions")),
                "events",
                "an alertmanager receiver takes alerts only: Alertmanager has no place for actions");
        refused(webhook("x", "kind", "slack"), "url", "must not be blank");
        refused(
                webhook("x", "url", "http://127.0.0.1:1/x", "events", List.of("alerts", "alerts")),
                "events",
                "must not name alerts or actions twice");
        Api.admin()
                .body(webhook("x", "url", "http://127.0.0.1:1/x", "events", List.of("pages")))
                .when()
                .post("/api/webhooks")
                .then()
                .statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED"));

        // Defaults: generic, alerts only; PagerDuty at the Events API, its key shown masked only.
        JsonPath generic = register(webhook("generic", "url", "http://127.0.0.1:1/x"));
        assertThat(generic.getString("kind")).isEqualTo("generic");
        assertThat(generic.getList("events")).containsExactly("alerts");
        JsonPath pd = register(webhook("pd", "kind", "pagerduty", "routingKey", ROUTING_KEY));
        assertThat(pd.getString("url")).isEqualTo("https://events.pagerduty.com");
        assertThat(pd.getString("routingKey")).isEqualTo("****abcd");
        String id = pd.getString("id");
        String listed = Api.reader()
                .when()
                .get("/api/webhooks")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        assertThat(listed).contains("****abcd").doesNotContain(ROUTING_KEY);
        // An update without the key keeps it; a full endpoint URL is kept as the Events API's base.
        Api.admin()
                .body(webhook(
                        "pd",
                        "kind",
                        "pagerduty",
                        "url",
                        "https://events.eu.pagerduty.com/v2/enqueue",
                        "events",
                        List.of("alerts", "actions")))
                .when()
                .put("/api/webhooks/" + id)
                .then()
                .statusCode(200)
                .body("url", equalTo("https://events.eu.pagerduty.com"))
                .body("routingKey", equalTo("****abcd"))
                .body("events", equalTo(List.of("alerts", "actions")));
        // An Alertmanager is sent its firing alerts again every minute unless told otherwise.
        JsonPath am = register(webhook("am", "kind", "alertmanager", "url", "http://127.0.0.1:1/api/v2/alerts"));
        assertThat(am.getString("url")).isEqualTo("http://127.0.0.1:1");
        assertThat(am.getString("repeatInterval")).isEqualTo("1m");
    }

    @Test
    void alertsReachSlackPagerDutyAndAlertmanagerInTheirShapes() {
        Object[] grouping = {"groupWait", "0s", "groupInterval", "1s", "repeatInterval", "1h"};
        register(withGrouping(webhook("slack", "kind", "slack", "url", url("/slack")), grouping));
        register(withGrouping(
                webhook("pd", "kind", "pagerduty", "url", url("/pd/v2/enqueue"), "routingKey", ROUTING_KEY), grouping));
        register(withGrouping(webhook("am", "kind", "alertmanager", "url", url("/am")), grouping));
        String table = "k" + UUID.randomUUID().toString().substring(0, 8);
        String rule = "kinds-" + table;
        Rules.slowTable(rule, table, 0, 0);
        ruleIds.add(rule);
        Instant origin = Instant.parse("2026-05-02T10:00:00Z");

        TestKafka.sendWindows(Windows.table(table, origin, 0, 5000));

        await().atMost(WAIT)
                .until(() -> about("/slack", table).size() == 1
                        && about("/pd", table).size() == 1
                        && about("/am", table).size() == 1);
        JsonNode slack = about("/slack", table).get(0).body();
        assertThat(slack.get("text").asText()).isEqualTo("[FIRING:1] Slow " + table + " (critical)");
        assertThat(slack.get("blocks").toString()).contains("https://console.rollguard.test/alerts");

        Received trigger = about("/pd", table).get(0);
        assertThat(trigger.path()).isEqualTo("/pd/v2/enqueue");
        assertThat(trigger.body().get("routing_key").asText()).isEqualTo(ROUTING_KEY);
        assertThat(trigger.body().get("event_action").asText()).isEqualTo("trigger");
        String fingerprint = trigger.body().get("dedup_key").asText();
        assertThat(fingerprint).matches("[0-9a-f]{32}");
        assertThat(trigger.body().get("payload").get("severity").asText()).isEqualTo("critical");
        assertThat(trigger.body().get("payload").get("component").asText()).isEqualTo(table);

        Received am = about("/am", table).get(0);
        assertThat(am.path()).isEqualTo("/am/api/v2/alerts");
        assertThat(am.body().isArray()).isTrue();
        JsonNode posted = am.body().get(0);
        assertThat(posted.get("labels").get("table").asText()).isEqualTo(table);
        assertThat(posted.get("startsAt").asText()).isEqualTo("2026-05-02T10:01:00Z");
        assertThat(Instant.parse(posted.get("endsAt").asText()))
                .isAfter(Instant.now().plus(Duration.ofHours(3)));
        assertThat(posted.get("generatorURL").asText()).isEqualTo("https://console.rollguard.test/alerts");

        // The table recovers: PagerDuty is told to resolve the same alert, Alertmanager that it ended.
        TestKafka.sendWindows(Windows.table(table, origin, 1, 10));
        await().atMost(WAIT)
                .until(() -> about("/pd", fingerprint).size() == 2
                        && about("/am", table).size() == 2);
        JsonNode resolve = about("/pd", fingerprint).stream()
                .filter(r -> r.body().path("event_action").asText().equals("resolve"))
                .findFirst()
                .orElseThrow()
                .body();
        assertThat(resolve.get("dedup_key").asText()).isEqualTo(fingerprint);
        assertThat(resolve.get("routing_key").asText()).isEqualTo(ROUTING_KEY);
        assertThat(about("/am", table).get(1).body().get(0).get("endsAt").asText())
                .isEqualTo("2026-05-02T10:02:00Z");
    }

    private static Map<String, Object> withGrouping(Map<String, Object> body, Object[] grouping) {
        for (int i = 0; i < grouping.length; i += 2) {
            body.put((String) grouping[i], grouping[i + 1]);
        }
        return body;
    }

    /** What a receiver got that mentions {@code text} (the table, or a fingerprint). */
    private List<Received> about(String path, String text) {
        return received.stream()
                .filter(r -> r.path().startsWith(path) && r.raw().contains(text))
                .toList();
    }
}
