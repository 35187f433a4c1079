package dev.rollguard.alert.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rollguard.alert.publisher.AlertPublisher;
import dev.rollguard.alert.support.AlertTestResource;
import dev.rollguard.alert.support.Rules;
import dev.rollguard.alert.support.TestKafka;
import dev.rollguard.alert.support.Windows;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.serde.AvroCodec;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Transaction;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * A poll round in which one send fails still marks the transitions Kafka acknowledged, so they are not sent again
 * every round. An application of its own: the failed round leaves its relay behind the outbox until the next poll.
 */
@QuarkusTest
@QuarkusTestResource(AlertTestResource.class)
@TestProfile(RelayFailedRoundTest.HourlyPoll.class)
class RelayFailedRoundTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    /** The outbox poll runs only when asked. */
    public static class HourlyPoll implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("alert-service.relay.interval", "1h");
        }
    }

    private final AvroCodec<AlertEvent> codec = AvroCodec.of(AlertEvent.class);

    @Inject
    Pool pool;

    @Inject
    MeterRegistry meters;

    @Inject
    AlertPublisher publisher;

    @Test
    void aPollRoundWithAFailedSendMarksTheTransitionsKafkaAcknowledged() {
        Fired fired = fire("relay-partial-");
        String rule = fired.rule();

        // Two transitions of two other alerts, left unpublished: the first larger than the producer takes, so its
        // send fails every round, the second an ordinary one.
        AlertEvent tooLarge = fired.copy("-too-large");
        tooLarge.setAnnotations(Map.of("description", "x".repeat(2_000_000)));
        AlertEvent ordinary = fired.copy("-ordinary");
        insertUnpublished(rule, fired.json(), tooLarge);
        insertUnpublished(rule, fired.json(), ordinary);
        try {
            double failedBefore = pollFailures();
            publisher.kick();

            // The round failed, yet the transition Kafka acknowledged is marked, not sent again every round.
            await().atMost(WAIT)
                    .until(() -> pollFailures() > failedBefore
                            && unpublishedIds(rule).size() == 1);
            assertThat(unpublishedIds(rule)).containsExactly(tooLarge.getAlertId());
            assertThat(TestKafka.alerts().stream().map(ConsumerRecord::value).map(AlertEvent::getAlertId))
                    .contains(ordinary.getAlertId())
                    .doesNotContain(tooLarge.getAlertId());
        } finally {
            // No later poll should meet it.
            pool.preparedQuery("DELETE FROM alerts WHERE alert_id = $1")
                    .execute(Tuple.of(tooLarge.getAlertId()))
                    .await()
                    .atMost(WAIT);
        }
    }

    /**
     * Inserting a webhook delivery locks its alert row {@code FOR KEY SHARE} (its foreign key): the poll must still
     * take the row, or it would leave it out of a round while sending the later transitions of its alert.
     */
    @Test
    void aTransitionLockedByAForeignKeyIsStillRelayed() {
        Fired fired = fire("relay-key-share-");
        String rule = fired.rule();
        AlertEvent locked = fired.copy("-key-share");
        insertUnpublished(rule, fired.json(), locked);

        SqlConnection holder = pool.getConnection().await().atMost(WAIT);
        Transaction tx = holder.begin().await().atMost(WAIT);
        try {
            holder.preparedQuery("SELECT seq FROM alerts WHERE alert_id = $1 FOR KEY SHARE")
                    .execute(Tuple.of(locked.getAlertId()))
                    .await()
                    .atMost(WAIT);
            publisher.kick();

            await().atMost(WAIT).until(() -> unpublishedIds(rule).isEmpty());
            assertThat(TestKafka.alerts().stream().map(ConsumerRecord::value).map(AlertEvent::getAlertId))
                    .contains(locked.getAlertId());
        } finally {
            tx.rollback().await().atMost(WAIT);
            holder.close().await().atMost(WAIT);
        }
    }

    /** A rule's alert, fired and published: the rows the tests insert are copies of its transition. */
    private record Fired(String rule, String json, byte[] avro) {

        /** The fired transition as one of another alert, its id and fingerprint ending in {@code suffix}. */
        AlertEvent copy(String suffix) {
            AlertEvent event = AvroCodec.of(AlertEvent.class).decode(avro);
            event.setAlertId(event.getAlertId() + suffix);
            event.setFingerprint(event.getFingerprint() + suffix);
            return event;
        }
    }

    /** Fires a rule of its own (its name starts with {@code rulePrefix}) and waits until its alert is published. */
    private Fired fire(String rulePrefix) {
        String table = "t" + UUID.randomUUID().toString().substring(0, 8);
        String rule = rulePrefix + table;
        Rules.slowTable(rule, table, 0, 0);
        TestKafka.sendWindows(Windows.table(table, Instant.parse("2026-05-06T10:00:00Z"), 0, 5000));
        await().atMost(WAIT)
                .until(() -> stored(rule) == 1 && unpublishedIds(rule).isEmpty());
        Row row = pool.preparedQuery("SELECT payload_json, payload_avro FROM alerts WHERE rule_id = $1")
                .execute(Tuple.of(rule))
                .await()
                .atMost(WAIT)
                .iterator()
                .next();
        return new Fired(
                rule,
                row.getString("payload_json"),
                row.getBuffer("payload_avro").getBytes());
    }

    private double pollFailures() {
        return meters.get("rollguard.alert.relay.failed")
                .tag("path", "poll")
                .counter()
                .count();
    }

    private void insertUnpublished(String rule, String json, AlertEvent event) {
        pool.preparedQuery("INSERT INTO alerts (alert_id, fingerprint, status, severity, rule_id, scope_key, starts_at,"
                        + " emitted_at, payload_json, payload_avro) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
                .execute(Tuple.from(List.of(
                        event.getAlertId(),
                        event.getFingerprint(),
                        event.getStatus().name(),
                        event.getSeverity().name(),
                        rule,
                        event.getScopeKey(),
                        event.getStartsAt().atOffset(ZoneOffset.UTC),
                        Instant.now().atOffset(ZoneOffset.UTC),
                        json,
                        Buffer.buffer(codec.encode(event)))))
                .await()
                .atMost(WAIT);
    }

    private List<String> unpublishedIds(String ruleId) {
        List<String> ids = new ArrayList<>();
        pool.preparedQuery("SELECT alert_id FROM alerts WHERE rule_id = $1 AND published_at IS NULL ORDER BY seq")
                .execute(Tuple.of(ruleId))
                .await()
                .atMost(WAIT)
                .forEach(row -> ids.add(row.getString(0)));
        return ids;
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
