package dev.rollguard.alert.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rollguard.alert.service.MaintenanceService;
import dev.rollguard.alert.service.RuleEvaluationService;
import dev.rollguard.alert.service.RuleService;
import dev.rollguard.alert.support.AlertTestResource;
import dev.rollguard.alert.support.Api;
import dev.rollguard.alert.support.Rules;
import dev.rollguard.alert.support.TestKafka;
import dev.rollguard.alert.support.Windows;
import dev.rollguard.schemas.Topics;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.AlertStatus;
import io.quarkus.scheduler.Scheduler;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.vertx.VertxContextSupport;
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
 * Retirement is level-based: a rule deleted or changed while the partition of its firing alert moves to another
 * instance (so the retirement's write is fenced and dropped) still has that alert ended, by the pass that follows on
 * the partition's next owner, which never saw the change. Later passes end nothing more. A window judged after the
 * rules were read and before that pass ends the state of the former definition first, as the pass would.
 */
@QuarkusTest
@QuarkusTestResource(AlertTestResource.class)
class RuleReconciliationTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    RuleEvaluationService evaluation;

    @Inject
    RuleService rules;

    @Inject
    Pool pool;

    @Inject
    Scheduler scheduler;

    private long stored(String rule, String status) {
        return pool.preparedQuery("SELECT count(*) FROM alerts WHERE rule_id = $1 AND status = $2")
                .execute(Tuple.of(rule, status))
                .await()
                .atMost(WAIT)
                .iterator()
                .next()
                .getLong(0);
    }

    private static List<AlertEvent> published(String rule, AlertStatus status) {
        return TestKafka.alerts().stream()
                .map(ConsumerRecord::value)
                .filter(a -> a.getRuleId().equals(rule) && a.getStatus() == status)
                .toList();
    }

    private boolean held(int partition) {
        return evaluation.heldPartitions().await().atMost(WAIT).contains(partition);
    }

    @Test
    void aRuleDeletedWhileItsPartitionMovesHasItsFiringAlertEndedByTheNextPass() throws Throwable {
        String table = "r" + UUID.randomUUID().toString().substring(0, 8);
        String rule = "moved-delete-" + table;
        Rules.slowTable(rule, table, 0, 600);
        int partition = firingOn(rule, table, Instant.parse("2026-02-08T10:00:00Z"));

        // A rebalance hands the partition to another instance while the rule is deleted: the deletion's retirement
        // is fenced and dropped, and this instance lets the partition go.
        takeOver(partition);
        Api.admin().when().delete("/api/rules/" + rule).then().statusCode(204);
        await().atMost(WAIT).until(() -> !held(partition));
        assertThat(stored(rule, "RESOLVED")).isZero();

        // The partition comes back (a new assignment): the owner loads the firing state without having seen the
        // deletion, and the next pass ends it.
        evaluation.assigned(List.of(partition), 3).await().atMost(WAIT);
        await().atMost(WAIT).until(() -> published(rule, AlertStatus.RESOLVED).size() == 1);
        assertThat(published(rule, AlertStatus.RESOLVED).get(0).getAnnotations())
                .containsEntry("reason", "rule retired");

        // Idempotent: further passes end nothing more.
        VertxContextSupport.subscribeAndAwait(rules::sync);
        assertThat(evaluation.reconcile().await().atMost(WAIT)).isZero();
        assertThat(stored(rule, "RESOLVED")).isEqualTo(1);
    }

    @Test
    void aRuleChangedWhileItsPartitionMovesHasItsFiringAlertEndedOnAssignment() throws Throwable {
        String table = "r" + UUID.randomUUID().toString().substring(0, 8);
        String rule = "moved-change-" + table;
        Rules.slowTable(rule, table, 0, 600);
        int partition = firingOn(rule, table, Instant.parse("2026-02-08T11:00:00Z"));

        takeOver(partition);
        Api.admin()
                .body(
                        """
                        {"name": "Slow %s", "metric": "durationMaxMs", "comparator": "GT",
                         "critical": {"threshold": 9000}, "forSeconds": 0, "keepFiringForSeconds": 600,
                         "minSampleSize": 10, "scope": {"types": ["TABLE"], "table": "%s"}}"""
                                .formatted(table, table))
                .when()
                .put("/api/rules/" + rule)
                .then()
                .statusCode(200);
        await().atMost(WAIT).until(() -> !held(partition));
        assertThat(stored(rule, "RESOLVED")).isZero();

        // The rules read before the assignment already show the change: the assignment's pass ends the alert.
        evaluation.assigned(List.of(partition), 3).await().atMost(WAIT);
        assertThat(stored(rule, "RESOLVED")).isEqualTo(1);
        await().atMost(WAIT).until(() -> published(rule, AlertStatus.RESOLVED).size() == 1);
        assertThat(published(rule, AlertStatus.RESOLVED).get(0).getAnnotations())
                .containsEntry("reason", "rule changed");
        // Resolved under the definition it fired with.
        assertThat(published(rule, AlertStatus.RESOLVED).get(0).getThreshold()).isEqualTo(1000.0);

        VertxContextSupport.subscribeAndAwait(rules::sync);
        assertThat(stored(rule, "RESOLVED")).isEqualTo(1);
        Api.admin().when().delete("/api/rules/" + rule).then().statusCode(204);
    }

    @Test
    void aWindowJudgedBeforeThePassEndsTheStateOfTheFormerDefinitionFirst() throws Throwable {
        String table = "r" + UUID.randomUUID().toString().substring(0, 8);
        String rule = "read-change-" + table;
        Rules.slowTable(rule, table, 0, 0);
        Instant origin = Instant.parse("2026-02-08T12:00:00Z");
        int partition = firingOn(rule, table, origin);

        // Only this test's reads of the rules run: none of them is followed by a reconciling pass.
        scheduler.pause(MaintenanceService.CONFIG_REFRESH);
        try {
            // Another instance raises the threshold to 9000; this one reads the rules, and the window after its
            // firing one (5000: a breach of the former threshold, healthy under the new one) is judged before any
            // pass.
            raisedElsewhereAndRead(rule);
            assertThat(TestKafka.sendWindows(Windows.table(table, origin, 1, 5000))
                            .get(0)
                            .partition())
                    .isEqualTo(partition);
            await().atMost(WAIT).until(() -> stored(rule, "RESOLVED") == 1);
        } finally {
            scheduler.resume(MaintenanceService.CONFIG_REFRESH);
        }

        // The firing state ended as the pass ends it, under the definition it fired with; the same batch judged the
        // window afresh under the new threshold, which it does not breach: nothing judged with the two mixed.
        await().atMost(WAIT).until(() -> published(rule, AlertStatus.RESOLVED).size() == 1);
        AlertEvent resolved = published(rule, AlertStatus.RESOLVED).get(0);
        assertThat(resolved.getAnnotations()).containsEntry("reason", "rule changed");
        assertThat(resolved.getThreshold()).isEqualTo(1000.0);
        assertThat(stored(rule, "FIRING")).isEqualTo(1);

        // The pass finds nothing left to end.
        assertThat(evaluation.reconcile().await().atMost(WAIT)).isZero();
        assertThat(stored(rule, "RESOLVED")).isEqualTo(1);
        Api.admin().when().delete("/api/rules/" + rule).then().statusCode(204);
    }

    @Test
    void aSweepBeforeThePassEndsTheStateOfTheFormerDefinitionFirst() throws Throwable {
        String table = "r" + UUID.randomUUID().toString().substring(0, 8);
        String rule = "sweep-change-" + table;
        Api.admin()
                .body(
                        """
                        {"id": "%s", "name": "Slow %s", "metric": "durationMaxMs", "comparator": "GT",
                         "critical": {"threshold": 1000}, "forSeconds": 0, "keepFiringForSeconds": 0,
                         "minSampleSize": 10, "noDataPolicy": "RESOLVE", "scope": {"types": ["TABLE"], "table": "%s"}}"""
                                .formatted(rule, table, table))
                .when()
                .post("/api/rules")
                .then()
                .statusCode(201);
        firingOn(rule, table, Instant.parse("2026-02-08T13:00:00Z"));

        scheduler.pause(MaintenanceService.CONFIG_REFRESH);
        try {
            // The scope falls silent; the sweep that applies its no-data policy runs after a read of the changed rule
            // and before the pass.
            raisedElsewhereAndRead(rule);
            evaluation.sweep(Instant.now().plus(Duration.ofMinutes(11))).await().atMost(WAIT);
        } finally {
            scheduler.resume(MaintenanceService.CONFIG_REFRESH);
        }

        // Ended as changed, under the definition it fired with, not resolved by the new definition's no-data policy.
        assertThat(stored(rule, "RESOLVED")).isEqualTo(1);
        await().atMost(WAIT).until(() -> published(rule, AlertStatus.RESOLVED).size() == 1);
        AlertEvent resolved = published(rule, AlertStatus.RESOLVED).get(0);
        assertThat(resolved.getAnnotations()).containsEntry("reason", "rule changed");
        assertThat(resolved.getThreshold()).isEqualTo(1000.0);
        assertThat(evaluation.reconcile().await().atMost(WAIT)).isZero();
        Api.admin().when().delete("/api/rules/" + rule).then().statusCode(204);
    }

    /**
     * Raises the critical threshold of {@code rule} to 9000 in the table, as another instance would, and has this
     * instance read the rules without the reconciling pass that follows a scheduled read.
     */
    private void raisedElsewhereAndRead(String rule) throws Throwable {
        pool.preparedQuery("UPDATE rules SET critical_threshold = 9000, version = version + 1, updated_at = now()"
                        + " WHERE id = $1")
                .execute(Tuple.of(rule))
                .await()
                .atMost(WAIT);
        VertxContextSupport.subscribeAndAwait(rules::refresh);
    }

    /** Sends a breaching window of {@code table}, waits for its alert; returns the partition it landed on. */
    private int firingOn(String rule, String table, Instant origin) {
        int partition = TestKafka.sendWindows(Windows.table(table, origin, 0, 5000))
                .get(0)
                .partition();
        await().atMost(WAIT).until(() -> stored(rule, "FIRING") == 1);
        assertThat(held(partition)).isTrue();
        return partition;
    }

    private void takeOver(int partition) {
        pool.preparedQuery("UPDATE partition_owners SET owner = 'another-instance', epoch = epoch + 1"
                        + " WHERE topic = $1 AND partition_no = $2")
                .execute(Tuple.of(Topics.METRICS_WINDOWS, partition))
                .await()
                .atMost(WAIT);
    }
}
