package dev.rollguard.alert.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rollguard.alert.service.RuleEvaluationService;
import dev.rollguard.alert.support.AlertTestResource;
import dev.rollguard.alert.support.Api;
import dev.rollguard.alert.support.TestKafka;
import dev.rollguard.alert.support.Windows;
import dev.rollguard.schemas.Topics;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;

/**
 * A partition handed to another instance while this one still holds its state (its revocation not yet seen, a
 * paused process): neither a batch nor the no-data sweep of this instance may store anything for it; the instance
 * lets the partition go. Claimed back, as on a new assignment, the sweep acts on it once.
 */
@QuarkusTest
@QuarkusTestResource(AlertTestResource.class)
class PartitionFencingTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    RuleEvaluationService evaluation;

    @Inject
    Pool pool;

    private long stored(String rule, String status) {
        return pool.preparedQuery("SELECT count(*) FROM alerts WHERE rule_id = $1 AND status = $2")
                .execute(Tuple.of(rule, status))
                .await()
                .atMost(WAIT)
                .iterator()
                .next()
                .getLong(0);
    }

    private boolean held(int partition) {
        return evaluation.heldPartitions().await().atMost(WAIT).contains(partition);
    }

    @Test
    void anInstanceThatLostAPartitionStoresNothingForItUntilItClaimsItAgain() {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String rule = "fence-" + run;
        Api.admin()
                .body(
                        """
                        {"id": "%s", "name": "Fenced %s", "metric": "durationMaxMs", "comparator": "GT",
                         "critical": {"threshold": 1000}, "noDataPolicy": "RESOLVE",
                         "scope": {"types": ["TABLE"]}}"""
                                .formatted(rule, run))
                .when()
                .post("/api/rules")
                .then()
                .statusCode(201);
        try {
            takeOverAndBack(rule, run);
        } finally {
            // The rule watches every table: later tests' tables must not raise its alerts.
            Api.admin().when().delete("/api/rules/" + rule).then().statusCode(204);
        }
    }

    private void takeOverAndBack(String rule, String run) {
        Instant origin = Instant.parse("2026-02-07T10:00:00Z");
        String silent = "f" + run;
        int partition = TestKafka.sendWindows(Windows.table(silent, origin, 0, 5000))
                .get(0)
                .partition();
        await().atMost(WAIT).until(() -> stored(rule, "FIRING") == 1);
        assertThat(held(partition)).isTrue();

        // Another instance claims the partition, as a rebalance hands it over.
        takeOver(partition);

        // A batch of that partition, evaluated while this instance still believes it holds it: its write is refused,
        // and evaluated again without the partition, it stores nothing.
        String other = otherTableOn(partition, run);
        TestKafka.sendWindows(Windows.table(other, origin, 0, 5000));
        await().atMost(WAIT).until(() -> !held(partition));
        assertThat(evaluation.state(rule, "table:" + other).await().atMost(WAIT))
                .isNull();
        assertThat(stored(rule, "FIRING")).isEqualTo(1);

        // Claimed back, then taken over again: the sweep still sees the silent scope in memory; its write is refused
        // and the partition let go.
        evaluation.assigned(List.of(partition), 3).await().atMost(WAIT);
        assertThat(held(partition)).isTrue();
        takeOver(partition);
        assertThat(evaluation
                        .sweep(Instant.now().plus(Duration.ofMinutes(11)))
                        .await()
                        .atMost(WAIT))
                .isZero();
        assertThat(stored(rule, "RESOLVED")).isZero();
        assertThat(held(partition)).isFalse();

        // A window of a partition not held is left to its owner: nothing is stored for it here.
        TestKafka.sendWindows(Windows.table(other, origin, 1, 5000));
        await().during(Duration.ofSeconds(2)).atMost(WAIT).until(() -> stored(rule, "FIRING") == 1);

        // Assigned again: the claim raises the epoch, the state is read back, and the sweep resolves the scope once.
        evaluation.assigned(List.of(partition), 3).await().atMost(WAIT);
        assertThat(held(partition)).isTrue();
        assertThat(evaluation
                        .sweep(Instant.now().plus(Duration.ofMinutes(11)))
                        .await()
                        .atMost(WAIT))
                .isPositive();
        assertThat(stored(rule, "RESOLVED")).isEqualTo(1);
        assertThat(pool.preparedQuery("SELECT owner FROM partition_owners WHERE topic = $1 AND partition_no = $2")
                        .execute(Tuple.of(Topics.METRICS_WINDOWS, partition))
                        .await()
                        .atMost(WAIT)
                        .iterator()
                        .next()
                        .getString(0))
                .isNotEqualTo("another-instance");
    }

    private void takeOver(int partition) {
        pool.preparedQuery("UPDATE partition_owners SET owner = 'another-instance', epoch = epoch + 1"
                        + " WHERE topic = $1 AND partition_no = $2")
                .execute(Tuple.of(Topics.METRICS_WINDOWS, partition))
                .await()
                .atMost(WAIT);
    }

    /** A table whose windows land on {@code partition}, as the producer's default partitioner places its key. */
    private static String otherTableOn(int partition, String run) {
        for (int i = 0; ; i++) {
            String table = "g" + run + i;
            WindowMetricsEvent probe = Windows.table(table, Instant.EPOCH, 0, 0);
            byte[] key = TestKafka.keyOf(probe).getBytes(StandardCharsets.UTF_8);
            int lands = Utils.toPositive(Utils.murmur2(key)) % 3;
            if (lands == partition) {
                return table;
            }
        }
    }
}
