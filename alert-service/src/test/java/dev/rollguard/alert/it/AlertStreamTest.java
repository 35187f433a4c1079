package dev.rollguard.alert.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rollguard.alert.support.AlertTestResource;
import dev.rollguard.alert.support.Api;
import dev.rollguard.alert.support.Rules;
import dev.rollguard.alert.support.SseClient;
import dev.rollguard.alert.support.TestKafka;
import dev.rollguard.alert.support.Windows;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The SSE stream of alert transitions, resumed with Last-Event-ID. */
@QuarkusTest
@QuarkusTestResource(AlertTestResource.class)
class AlertStreamTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TestHTTPResource("/api/alerts/stream")
    URI stream;

    private static List<Long> seqs(String rule) {
        List<Long> newestFirst = Api.admin()
                .queryParam("view", "history")
                .queryParam("ruleId", rule)
                .when()
                .get("/api/alerts")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getList("seq", Long.class);
        List<Long> oldestFirst = new java.util.ArrayList<>(newestFirst);
        java.util.Collections.reverse(oldestFirst);
        return oldestFirst;
    }

    private static List<SseClient.Event> of(SseClient client, String rule) {
        return client.events().stream()
                .filter(e -> e.data().contains("\"ruleId\":\"" + rule + "\""))
                .toList();
    }

    @Test
    void reconnectingWithLastEventIdReplaysWhatWasMissedThenGoesLive() {
        String table = "t" + UUID.randomUUID().toString().substring(0, 8);
        String rule = "stream-" + table;
        Rules.slowTable(rule, table, 0, 0);
        Instant origin = Instant.parse("2026-04-01T10:00:00Z");

        // FIRING then RESOLVED while the client is away.
        TestKafka.sendWindows(Windows.table(table, origin, 0, 5000), Windows.table(table, origin, 1, 10));
        await().atMost(WAIT).until(() -> seqs(rule).size() == 2);
        List<Long> missed = seqs(rule);

        try (SseClient client = new SseClient(stream, Api.READ_TOKEN, Long.toString(missed.get(0)))) {
            await().atMost(WAIT).until(() -> of(client, rule).size() == 1);
            SseClient.Event resolved = of(client, rule).get(0);
            assertThat(resolved.id()).isEqualTo(Long.toString(missed.get(1)));
            assertThat(resolved.name()).isEqualTo("alert");
            assertThat(resolved.data()).contains("\"status\":\"RESOLVED\"");

            // Live: a new breach arrives on the open stream, exactly once.
            TestKafka.sendWindows(Windows.table(table, origin, 2, 5000));
            await().atMost(WAIT).until(() -> of(client, rule).size() == 2);
            SseClient.Event live = of(client, rule).get(1);
            assertThat(live.data()).contains("\"status\":\"FIRING\"");
            assertThat(Long.parseLong(live.id())).isGreaterThan(missed.get(1));
            await().during(Duration.ofSeconds(2))
                    .atMost(Duration.ofSeconds(5))
                    .until(() -> of(client, rule).size() == 2);
        }
    }

    @Test
    void streamNeedsAToken() {
        try (SseClient client = new SseClient(stream, "wrong", null)) {
            assertThat(client.status()).isEqualTo(401);
        }
    }
}
