package dev.rollguard.alert.it;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;

import com.sun.net.httpserver.HttpServer;
import dev.rollguard.alert.support.AlertTestResource;
import dev.rollguard.alert.support.Api;
import dev.rollguard.alert.support.Rules;
import dev.rollguard.alert.support.TestKafka;
import dev.rollguard.alert.support.Windows;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
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
 * Routing of alert notifications through the REST API and the real database: each subscription is notified only of
 * the alerts its matchers select; its matchers are stored, shown and replaced; bad matchers are refused naming the
 * field.
 */
@QuarkusTest
@QuarkusTestResource(AlertTestResource.class)
class SubscriptionRoutingTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private HttpServer server;
    private final Map<String, List<String>> received = new HashMap<>();
    private final List<String> webhookIds = new ArrayList<>();
    private final List<String> ruleIds = new ArrayList<>();

    @BeforeEach
    void startReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        for (String path : List.of("/orders-team", "/others")) {
            List<String> bodies = new CopyOnWriteArrayList<>();
            received.put(path, bodies);
            server.createContext(path, exchange -> {
                bodies.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
                exchange.sendResponseHeaders(200, -1);
                exchange.close();
            });
        }
        server.start();
    }

    @AfterEach
    void stop() {
        webhookIds.forEach(id -> Api.admin().when().delete("/api/webhooks/" + id));
        ruleIds.forEach(id -> Api.admin().when().delete("/api/rules/" + id));
        server.stop(0);
    }

    private Map<String, Object> subscription(String path, List<Map<String, Object>> matchers) {
        return Map.of(
                "name",
                path.substring(1),
                "url",
                "http://127.0.0.1:" + server.getAddress().getPort() + path,
                "groupWait",
                "0s",
                "groupInterval",
                "1s",
                "matchers",
                matchers);
    }

    private static Map<String, Object> matcher(String name, String value, boolean regex, boolean equal) {
        return Map.of("name", name, "value", value, "isRegex", regex, "isEqual", equal);
    }

    @Test
    void eachSubscriptionIsNotifiedOfTheAlertsItsMatchersSelect() {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String orders = "o" + suffix;
        String payments = "p" + suffix;
        String ordersTeam = Api.admin()
                .body(subscription(
                        "/orders-team",
                        List.of(matcher("table", orders, false, true), matcher("scope_type", "TABLE", false, true))))
                .when()
                .post("/api/webhooks")
                .then()
                .statusCode(201)
                .body("matchers", hasSize(2))
                .body("matchers[0].name", equalTo("table"))
                .body("matchers[0].isEqual", equalTo(true))
                .extract()
                .path("id");
        webhookIds.add(ordersTeam);
        // Everything of this test but the orders table: a negative match and a regular expression over the rule id.
        String others = Api.admin()
                .body(subscription(
                        "/others",
                        List.of(
                                matcher("table", orders, false, false),
                                matcher("rule_id", "route-.*" + suffix, true, true))))
                .when()
                .post("/api/webhooks")
                .then()
                .statusCode(201)
                .extract()
                .path("id");
        webhookIds.add(others);
        for (String table : List.of(orders, payments)) {
            Rules.slowTable("route-" + table, table, 0, 0);
            ruleIds.add("route-" + table);
        }
        Instant origin = Instant.parse("2026-08-01T10:00:00Z");

        TestKafka.sendWindows(Windows.table(orders, origin, 0, 5000), Windows.table(payments, origin, 0, 5000));

        await().atMost(WAIT).until(() -> about("/orders-team", orders) > 0 && about("/others", payments) > 0);
        await().during(Duration.ofSeconds(2))
                .atMost(Duration.ofSeconds(5))
                .until(() -> about("/orders-team", payments) == 0 && about("/others", orders) == 0);
        Api.reader()
                .when()
                .get("/api/webhooks/" + others)
                .then()
                .statusCode(200)
                .body("matchers[0].isEqual", equalTo(false))
                .body("matchers[1].isRegex", equalTo(true))
                .body("matchers[1].value", equalTo("route-.*" + suffix));

        // A PUT replaces the matchers; omitted, the subscription routes every alert again.
        Map<String, Object> unrouted = new HashMap<>(subscription("/orders-team", List.of()));
        unrouted.remove("matchers");
        Api.admin()
                .body(unrouted)
                .when()
                .put("/api/webhooks/" + ordersTeam)
                .then()
                .statusCode(200)
                .body("matchers", hasSize(0));
    }

    @Test
    void badMatchersAreRefusedNamingTheField() {
        refused(List.of(matcher("rule_id", "orders(", true, true)), "matchers[0].value");
        refused(List.of(matcher("flag", "x", false, true), matcher("bad-name", "x", false, true)), "matchers[1].name");
        List<Map<String, Object>> tooMany = new ArrayList<>();
        for (int i = 0; i < 17; i++) {
            tooMany.add(matcher("flag", "f" + i, false, true));
        }
        refused(tooMany, "matchers");
        Map<String, Object> noValue = new HashMap<>(matcher("flag", "x", false, true));
        noValue.remove("value");
        refused(List.of(noValue), "matchers[0].value");
    }

    private void refused(List<Map<String, Object>> matchers, String field) {
        Api.admin()
                .body(subscription("/others", matchers))
                .when()
                .post("/api/webhooks")
                .then()
                .statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED"))
                .body("violations.field", hasItem(field));
    }

    private long about(String path, String table) {
        return received.get(path).stream().filter(body -> body.contains(table)).count();
    }
}
