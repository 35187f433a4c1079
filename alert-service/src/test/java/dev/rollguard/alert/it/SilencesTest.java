package dev.rollguard.alert.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import com.sun.net.httpserver.HttpServer;
import dev.rollguard.alert.support.AlertTestResource;
import dev.rollguard.alert.support.Api;
import dev.rollguard.alert.support.Rules;
import dev.rollguard.alert.support.TestKafka;
import dev.rollguard.alert.support.Windows;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.AlertStatus;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.net.InetSocketAddress;
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
 * Silences over the API: a silenced alert is left out of the notifications while it still goes to the alerts topic
 * (the guard is never silenced); ending the silence notifies it; silences stay listed with their author and comment;
 * bad silences are refused naming the field.
 */
@QuarkusTest
@QuarkusTestResource(AlertTestResource.class)
class SilencesTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private HttpServer server;
    private final List<String> received = new CopyOnWriteArrayList<>();
    private final List<String> webhookIds = new ArrayList<>();
    private final List<String> ruleIds = new ArrayList<>();

    @BeforeEach
    void startReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/hook", exchange -> {
            received.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        webhookIds.forEach(id -> Api.admin().when().delete("/api/webhooks/" + id));
        ruleIds.forEach(id -> Api.admin().when().delete("/api/rules/" + id));
        server.stop(0);
    }

    private static Map<String, Object> silence(String name, String value, boolean regex, Instant endsAt) {
        return Map.of(
                "matchers",
                List.of(Map.of("name", name, "value", value, "isRegex", regex)),
                "endsAt",
                endsAt.toString(),
                "createdBy",
                "ana@example.com",
                "comment",
                "orders table migration, OPS-42");
    }

    @Test
    void aSilencedAlertIsNotNotifiedButStillGuardsAndIsNotifiedWhenTheSilenceEnds() {
        webhookIds.add(Api.admin()
                .body(Map.of(
                        "name",
                        "team",
                        "url",
                        "http://127.0.0.1:" + server.getAddress().getPort() + "/hook",
                        "groupWait",
                        "0s",
                        "groupInterval",
                        "1s"))
                .when()
                .post("/api/webhooks")
                .then()
                .statusCode(201)
                .extract()
                .path("id"));
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String quiet = "q" + suffix;
        String loud = "l" + suffix;
        String silenceId = Api.admin()
                .body(silence("table", quiet, false, Instant.now().plus(Duration.ofHours(1))))
                .when()
                .post("/api/silences")
                .then()
                .statusCode(201)
                .body("state", equalTo("ACTIVE"))
                .body("createdBy", equalTo("ana@example.com"))
                .body("matchers[0].name", equalTo("table"))
                .body("matchers[0].isEqual", equalTo(true))
                .extract()
                .path("id");
        for (String table : List.of(quiet, loud)) {
            Rules.slowTable("sil-" + table, table, 0, 0);
            ruleIds.add("sil-" + table);
        }
        Instant origin = Instant.parse("2026-08-01T10:00:00Z");

        TestKafka.sendWindows(Windows.table(quiet, origin, 0, 5000), Windows.table(loud, origin, 0, 5000));

        await().atMost(WAIT).until(() -> about(loud) > 0);
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).until(() -> about(quiet) == 0);
        // The guard is never silenced: both alerts are on the alerts topic.
        List<AlertEvent> published = TestKafka.alerts().stream()
                .map(ConsumerRecord::value)
                .filter(a ->
                        a.getRuleId().equals("sil-" + quiet) || a.getRuleId().equals("sil-" + loud))
                .toList();
        assertThat(published).hasSize(2).allMatch(a -> a.getStatus() == AlertStatus.FIRING);

        // Ended early: the silenced alert is notified at the next flush, and the silence stays on record.
        Instant beforeEnd = Instant.now().minusMillis(1);
        Api.admin()
                .header("X-Rollguard-Actor", "bo@example.com")
                .when()
                .delete("/api/silences/" + silenceId)
                .then()
                .statusCode(204);
        await().atMost(WAIT).until(() -> about(quiet) == 1);
        String expiredAt = Api.reader()
                .when()
                .get("/api/silences/" + silenceId)
                .then()
                .statusCode(200)
                .body("state", equalTo("EXPIRED"))
                .body("comment", equalTo("orders table migration, OPS-42"))
                .body("createdBy", equalTo("ana@example.com"))
                .body("expiredBy", equalTo("bo@example.com"))
                .extract()
                .path("expiredAt");
        assertThat(Instant.parse(expiredAt)).isBetween(beforeEnd, Instant.now());
        Api.reader().when().get("/api/silences").then().statusCode(200).body("id", hasItem(silenceId));
        // Ending it again changes nothing of its record.
        Api.admin()
                .header("X-Rollguard-Actor", "cy@example.com")
                .when()
                .delete("/api/silences/" + silenceId)
                .then()
                .statusCode(204);
        Api.reader()
                .when()
                .get("/api/silences/" + silenceId)
                .then()
                .body("expiredBy", equalTo("bo@example.com"))
                .body("expiredAt", equalTo(expiredAt));
    }

    @Test
    void aSilenceEndedWithoutAnActorIsRecordedAsEndedByTheAdminToken() {
        String id = Api.admin()
                .body(silence(
                        "table",
                        "audit-" + UUID.randomUUID(),
                        false,
                        Instant.now().plus(Duration.ofHours(1))))
                .when()
                .post("/api/silences")
                .then()
                .statusCode(201)
                .body("expiredBy", equalTo(null))
                .body("expiredAt", equalTo(null))
                .extract()
                .path("id");
        Api.admin()
                .header("X-Rollguard-Actor", "x".repeat(201))
                .when()
                .delete("/api/silences/" + id)
                .then()
                .statusCode(400)
                .body("violations.field", hasItem("X-Rollguard-Actor"));
        Api.reader().when().get("/api/silences/" + id).then().body("state", equalTo("ACTIVE"));
        Api.reader().when().delete("/api/silences/" + id).then().statusCode(403);

        Api.admin().when().delete("/api/silences/" + id).then().statusCode(204);

        Api.reader()
                .when()
                .get("/api/silences/" + id)
                .then()
                .body("state", equalTo("EXPIRED"))
                .body("expiredBy", equalTo("admin token"));
    }

    @Test
    void badSilencesAreRefusedNamingTheField() {
        Instant later = Instant.now().plus(Duration.ofHours(1));
        refused(silence("table", "orders", false, Instant.now().minusSeconds(60)), "endsAt");
        refused(silence("table", "orders(", true, later), "matchers[0].value");
        refused(silence("flag", ".*", true, later), "matchers");
        refused(silence("bad-name", "x", false, later), "matchers[0].name");
        refused(
                Map.of("matchers", List.of(), "endsAt", later.toString(), "createdBy", "ana", "comment", "x"),
                "matchers");
        Api.admin()
                .body(Map.of(
                        "matchers",
                        List.of(Map.of("name", "table", "value", "orders")),
                        "endsAt",
                        later.toString(),
                        "createdBy",
                        "ana\u0000",
                        "comment",
                        "x"))
                .when()
                .post("/api/silences")
                .then()
                .statusCode(400)
                .body("code", equalTo("INVALID_CHARACTER"));
        Api.reader()
                .body(silence("table", "orders", false, later))
                .when()
                .post("/api/silences")
                .then()
                .statusCode(403);
        Api.admin().when().delete("/api/silences/no-such-silence").then().statusCode(404);
    }

    private static void refused(Map<String, Object> body, String field) {
        Api.admin()
                .body(body)
                .when()
                .post("/api/silences")
                .then()
                .statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED"))
                .body("violations.field", hasItem(field));
    }

    private long about(String table) {
        return received.stream().filter(body -> body.contains(table)).count();
    }
}
