package dev.rollguard.alert.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rollguard.alert.publisher.AlertPublisher;
import dev.rollguard.alert.support.AlertTestResource;
import dev.rollguard.alert.support.Rules;
import dev.rollguard.alert.support.TestKafka;
import dev.rollguard.alert.support.Windows;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.AlertStatus;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * The outbox relay sends transitions right after their commit, in stored order, and marks them published; the poll
 * of the outbox (here only when asked: its timer is an hour) still sends what was left unpublished. One fingerprint's
 * transitions reach the topic in stored order even when an earlier one was stored by an instance that crashed before
 * publishing it.
 */
@QuarkusTest
@QuarkusTestResource(AlertTestResource.class)
@TestProfile(RelayAfterCommitTest.HourlyPoll.class)
class RelayAfterCommitTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    /** The outbox poll's timer is too slow to deliver anything within a test. */
    public static class HourlyPoll implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("alert-service.relay.interval", "1h");
        }
    }

    @Inject
    Pool pool;

    @Inject
    MeterRegistry meters;

    @Inject
    AlertPublisher publisher;

    private static List<AlertEvent> alertsOf(String ruleId) {
        return TestKafka.alerts().stream()
                .map(ConsumerRecord::value)
                .filter(a -> a.getRuleId().equals(ruleId))
                .toList();
    }

    private double published(String path) {
        return meters.get("rollguard.alert.relay.published")
                .tag("path", path)
                .counter()
                .count();
    }

    private long unpublished(String ruleId) {
        return pool.preparedQuery("SELECT count(*) FROM alerts WHERE rule_id LIKE $1 AND published_at IS NULL")
                .execute(Tuple.of(ruleId))
                .await()
                .atMost(WAIT)
                .iterator()
                .next()
                .getLong(0);
    }

    @Test
    void transitionsGoOutRightAfterTheirCommitInStoredOrderAndAreMarkedPublished() {
        String table = "t" + UUID.randomUUID().toString().substring(0, 8);
        String rule = "relay-" + table;
        Rules.slowTable(rule, table, 0, 0);
        Instant origin = Instant.parse("2026-05-01T10:00:00Z");
        // The poll at start has sent what earlier runs left behind.
        await().atMost(WAIT).until(() -> unpublished("%") == 0);
        double polledBefore = published("poll");

        // Fires, resolves and fires again: three transitions of one fingerprint, in one or more batches.
        TestKafka.sendWindows(
                Windows.table(table, origin, 0, 5000),
                Windows.table(table, origin, 1, 10),
                Windows.table(table, origin, 2, 5000));

        await().atMost(WAIT).until(() -> alertsOf(rule).size() >= 3);
        List<AlertEvent> alerts = alertsOf(rule);
        assertThat(alerts)
                .extracting(AlertEvent::getStatus)
                .containsExactly(AlertStatus.FIRING, AlertStatus.RESOLVED, AlertStatus.FIRING);
        assertThat(alerts.get(0).getStartsAt()).isEqualTo(origin.plus(Windows.MINUTE));
        assertThat(alerts.get(2).getStartsAt()).isEqualTo(origin.plus(Windows.MINUTE.multipliedBy(3)));
        await().atMost(WAIT).until(() -> unpublished(rule) == 0);
        // No poll of the outbox sent anything: the alerts went out after their commit.
        assertThat(published("poll")).isEqualTo(polledBefore);
    }

    @Test
    void theOutboxPollSendsWhatWasLeftUnpublished() {
        String table = "t" + UUID.randomUUID().toString().substring(0, 8);
        String rule = "relay-left-" + table;
        Rules.slowTable(rule, table, 0, 0);
        Instant origin = Instant.parse("2026-05-02T10:00:00Z");
        TestKafka.sendWindows(Windows.table(table, origin, 0, 5000));
        await().atMost(WAIT).until(() -> alertsOf(rule).size() == 1 && unpublished(rule) == 0);
        AlertEvent firing = alertsOf(rule).get(0);

        // As after a crash between Kafka's acknowledgement and the mark: stored, sent, but not marked.
        pool.preparedQuery("UPDATE alerts SET published_at = NULL WHERE rule_id = $1")
                .execute(Tuple.of(rule))
                .await()
                .atMost(WAIT);
        double polledBefore = published("poll");
        publisher.kick();

        await().atMost(WAIT).until(() -> alertsOf(rule).size() == 2 && unpublished(rule) == 0);
        assertThat(alertsOf(rule).get(1).getAlertId()).isEqualTo(firing.getAlertId());
        assertThat(published("poll")).isGreaterThanOrEqualTo(polledBefore + 1);

        // Caught up again: the next transition goes out after its commit.
        double afterCommitBefore = published("after-commit");
        TestKafka.sendWindows(Windows.table(table, origin, 1, 10));
        await().atMost(WAIT).until(() -> alertsOf(rule).size() == 3);
        assertThat(alertsOf(rule).get(2).getStatus()).isEqualTo(AlertStatus.RESOLVED);
        assertThat(published("after-commit")).isEqualTo(afterCommitBefore + 1);
    }

    @Test
    void aTransitionBehindOneACrashedInstanceLeftUnpublishedWaitsForIt() {
        String table = "t" + UUID.randomUUID().toString().substring(0, 8);
        String rule = "relay-crashed-" + table;
        Rules.slowTable(rule, table, 0, 0);
        Instant origin = Instant.parse("2026-05-03T10:00:00Z");
        TestKafka.sendWindows(Windows.table(table, origin, 0, 5000));
        await().atMost(WAIT).until(() -> alertsOf(rule).size() == 1 && unpublished(rule) == 0);

        // As if another instance had stored the FIRING and crashed before Kafka acknowledged it; this instance, the
        // partition's next owner, resolves the alert.
        pool.preparedQuery("UPDATE alerts SET published_at = NULL, stored_by = 'crashed-instance' WHERE rule_id = $1")
                .execute(Tuple.of(rule))
                .await()
                .atMost(WAIT);
        TestKafka.sendWindows(Windows.table(table, origin, 1, 10));
        await().atMost(WAIT).until(() -> stored(rule) == 2);

        // The crashed instance's FIRING may be taken over (its takeover-after has passed): the poll publishes it,
        // then the RESOLVED.
        pool.preparedQuery("UPDATE alerts SET emitted_at = emitted_at - interval '1 minute'"
                        + " WHERE rule_id = $1 AND stored_by = 'crashed-instance'")
                .execute(Tuple.of(rule))
                .await()
                .atMost(WAIT);
        publisher.kick();
        await().atMost(WAIT).until(() -> alertsOf(rule).size() == 3 && unpublished(rule) == 0);
        assertThat(alertsOf(rule))
                .extracting(AlertEvent::getStatus)
                .containsExactly(AlertStatus.FIRING, AlertStatus.FIRING, AlertStatus.RESOLVED);
    }

    private long stored(String ruleId) {
        return pool.preparedQuery("SELECT count(*) FROM alerts WHERE rule_id = $1")
                .execute(Tuple.of(ruleId))
                .await()
                .atMost(WAIT)
                .iterator()
                .next()
                .getLong(0);
    }
}
