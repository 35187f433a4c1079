package dev.rollguard.alert.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rollguard.alert.service.RuleEvaluationService;
import dev.rollguard.alert.support.AlertTestResource;
import dev.rollguard.alert.support.Api;
import dev.rollguard.alert.support.TestKafka;
import dev.rollguard.alert.support.Windows;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.AlertStatus;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * A scope that was healthy and falls silent while the service restarts (its memory dropped and rebuilt from the
 * database, as a new instance would) still gets its no-data policy: an {@code ALERT} rule fires once the horizon has
 * passed. The idle state the sweep needs is kept small: gone once the scope has been silent past the horizon with
 * nothing pending or firing.
 */
@QuarkusTest
@QuarkusTestResource(AlertTestResource.class)
class SilentAcrossRestartTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    RuleEvaluationService evaluation;

    @Inject
    Pool pool;

    private static List<AlertEvent> alertsOf(String rule) {
        return TestKafka.alerts().stream()
                .map(ConsumerRecord::value)
                .filter(a -> a.getRuleId().equals(rule))
                .toList();
    }

    private long watermarks(String rule) {
        return pool.preparedQuery("SELECT count(*) FROM scope_watermarks WHERE rule_id = $1")
                .execute(Tuple.of(rule))
                .await()
                .atMost(WAIT)
                .iterator()
                .next()
                .getLong(0);
    }

    private void createRule(String rule, String table, String policy) {
        Api.admin()
                .body(
                        """
                        {"id": "%s", "name": "Silent %s", "metric": "durationMaxMs", "comparator": "GT",
                         "critical": {"threshold": 1000}, "noDataPolicy": "%s",
                         "scope": {"types": ["TABLE"], "table": "%s"}}"""
                                .formatted(rule, table, policy, table))
                .when()
                .post("/api/rules")
                .then()
                .statusCode(201);
    }

    private void sendHealthy(String rule, String table, Instant origin) {
        WindowMetricsEvent w0 = Windows.table(table, origin, 0, 10);
        WindowMetricsEvent w1 = Windows.table(table, origin, 1, 10);
        TestKafka.sendWindows(w0, w1);
        await().atMost(WAIT).until(() -> {
            var tracked = evaluation.state(rule, "table:" + table).await().atMost(Duration.ofSeconds(5));
            return tracked != null && w1.getWindowEnd().equals(tracked.state().lastWindowEnd());
        });
    }

    @Test
    void aHealthyScopeThatFallsSilentAcrossARestartFiresItsNoDataAlert() {
        String table = "s" + UUID.randomUUID().toString().substring(0, 8);
        String rule = "silent-restart-" + table;
        createRule(rule, table, "ALERT");
        Instant origin = Instant.parse("2026-02-09T10:00:00Z");
        sendHealthy(rule, table, origin);
        assertThat(alertsOf(rule)).isEmpty();

        // Restart: memory gone, rebuilt from PostgreSQL; the scope sends nothing more.
        evaluation.reload().await().atMost(WAIT);
        assertThat(evaluation.state(rule, "table:" + table).await().atMost(WAIT))
                .isNotNull()
                .satisfies(tracked -> assertThat(tracked.state().lastWindowEnd())
                        .as("the stored window end: the first one, not rewritten for a window a minute later")
                        .isEqualTo(origin.plus(Duration.ofMinutes(1))));

        // Silence is counted from the restart: not yet past no-data-after (10 minutes), then past it.
        assertThat(evaluation
                        .sweep(Instant.now().plus(Duration.ofMinutes(5)))
                        .await()
                        .atMost(WAIT))
                .isZero();
        assertThat(evaluation
                        .sweep(Instant.now().plus(Duration.ofMinutes(11)))
                        .await()
                        .atMost(WAIT))
                .isPositive();
        await().atMost(WAIT).until(() -> alertsOf(rule).size() == 1);
        AlertEvent firing = alertsOf(rule).get(0);
        assertThat(firing.getStatus()).isEqualTo(AlertStatus.FIRING);
        assertThat(firing.getScopeKey()).isEqualTo("table:" + table);
        // It starts after the last window seen before the restart.
        assertThat(firing.getStartsAt()).isAfter(origin.plus(Duration.ofMinutes(2)));

        // A pass over the rules after the sweep raised it keeps it: it was raised under the rule as it is now.
        evaluation.reconcile().await().atMost(WAIT);
        assertThat(evaluation.state(rule, "table:" + table).await().atMost(WAIT))
                .satisfies(tracked -> assertThat(tracked.state().idle())
                        .as("still firing after the pass")
                        .isFalse());

        Api.admin().when().delete("/api/rules/" + rule).then().statusCode(204);
    }

    @Test
    void theIdleStateOfAScopeSilentPastTheHorizonIsForgotten() {
        String table = "s" + UUID.randomUUID().toString().substring(0, 8);
        String rule = "silent-gone-" + table;
        createRule(rule, table, "KEEP_STATE");
        sendHealthy(rule, table, Instant.parse("2026-02-09T11:00:00Z"));
        assertThat(watermarks(rule)).isEqualTo(1);

        evaluation.sweep(Instant.now().plus(Duration.ofMinutes(11))).await().atMost(WAIT);
        assertThat(watermarks(rule)).isZero();
        assertThat(evaluation.state(rule, "table:" + table).await().atMost(WAIT))
                .isNull();
        assertThat(alertsOf(rule)).isEmpty();

        Api.admin().when().delete("/api/rules/" + rule).then().statusCode(204);
    }
}
