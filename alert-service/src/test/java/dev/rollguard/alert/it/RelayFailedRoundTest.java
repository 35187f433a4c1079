package dev.rollguard.alert.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rollguard.alert.publisher.AlertPublisher;
import dev.rollguard.alert.support.AlertTestResource;
import dev.rollguard.alert.support.Rules;
import dev.rollguard.alert.support.TestKafka;
import dev.rollguard.alert.support.Windows;
import dev.rollguard.schemas.Topics;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.AlertStatus;
import dev.rollguard.schemas.serde.AvroCodec;
import io.micrometer.core.instrument.Counter;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * A poll round settles what it can: a transition that can never be sent is dead-lettered and holds back neither its
 * alert nor the relay, and a transition whose row a webhook delivery locks is still relayed. An application of its
 * own, whose outbox poll runs only when asked.
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

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Inject
    MeterRegistry meters;

    @Inject
    AlertPublisher publisher;

    /**
     * A transition Kafka can never take (larger than the producer's {@code max.request.size}, 1 MB) and one whose
     * stored bytes cannot be decoded are dead-lettered with their reasons by the round that meets them; the later
     * transition of each of their alerts and another alert's are published by the same round, which does not fail, so
     * the next commit is sent right after it again.
     */
    @Test
    void aTransitionThatCanNeverBeSentIsDeadLetteredAndHoldsNothingBack() {
        Fired fired = fire("relay-poison-");
        String rule = fired.rule();

        AlertEvent tooLarge = fired.copy("-too-large");
        tooLarge.setAnnotations(Map.of("description", "x".repeat(2_000_000)));
        AlertEvent afterTooLarge = fired.resolution("-too-large");
        AlertEvent garbled = fired.copy("-garbled");
        AlertEvent afterGarbled = fired.resolution("-garbled");
        AlertEvent ordinary = fired.copy("-ordinary");
        insertUnpublished(rule, fired.json(), tooLarge, codec.encode(tooLarge));
        insertUnpublished(rule, fired.json(), garbled, new byte[] {(byte) 0xC3, 0x01, 0x7F, 0x00});
        insertUnpublished(rule, fired.json(), afterTooLarge, codec.encode(afterTooLarge));
        insertUnpublished(rule, fired.json(), afterGarbled, codec.encode(afterGarbled));
        insertUnpublished(rule, fired.json(), ordinary, codec.encode(ordinary));

        double failedBefore = pollFailures();
        double refusedBefore = deadLetters("refused");
        double undecodableBefore = deadLetters("undecodable");
        publisher.kick();

        await().atMost(WAIT).until(() -> unsettledIds(rule).isEmpty());
        Map<String, String> deadLettered = deadLettered(rule);
        assertThat(deadLettered).containsOnlyKeys(tooLarge.getAlertId(), garbled.getAlertId());
        assertThat(deadLettered.get(tooLarge.getAlertId()))
                .startsWith("refused by Kafka (RecordTooLargeException): ")
                .contains("max.request.size");
        assertThat(deadLettered.get(garbled.getAlertId())).startsWith("cannot be decoded: ");
        assertThat(unpublishedIds(rule)).containsExactly(tooLarge.getAlertId(), garbled.getAlertId());
        assertThat(TestKafka.alerts().stream().map(ConsumerRecord::value).map(AlertEvent::getAlertId))
                .contains(afterTooLarge.getAlertId(), afterGarbled.getAlertId(), ordinary.getAlertId())
                .doesNotContain(tooLarge.getAlertId(), garbled.getAlertId());
        assertThat(pollFailures()).isEqualTo(failedBefore);
        assertThat(deadLetters("refused")).isEqualTo(refusedBefore + 1);
        assertThat(deadLetters("undecodable")).isEqualTo(undecodableBefore + 1);

        // The relay is caught up: the next alert to fire goes out right after its commit, with no poll.
        double afterCommitBefore = afterCommitSends();
        double polledBefore = polledSends();
        fire("relay-poison-next-");
        assertThat(afterCommitSends()).isEqualTo(afterCommitBefore + 1);
        assertThat(polledSends()).isEqualTo(polledBefore);
    }

    /**
     * A row written with a schema this release does not know (a newer release's, during a rolling upgrade) is no
     * dead letter: it stays in the outbox and holds its alert's later transition back, while a malformed row of
     * another alert is dead-lettered by the same round. Once an instance that knows the schema published it, the
     * later transition goes out.
     */
    @Test
    void aTransitionOfANewerSchemaIsLeftForANewerInstanceAndHoldsItsAlertBack() {
        Fired fired = fire("relay-newer-schema-");
        String rule = fired.rule();

        AlertEvent newer = fired.copy("-newer");
        AlertEvent afterNewer = fired.resolution("-newer");
        AlertEvent malformed = fired.copy("-malformed");
        AlertEvent afterMalformed = fired.resolution("-malformed");
        byte[] unknownSchema = codec.encode(newer);
        // The single-object header's schema fingerprint (bytes 2 to 9), as another release's schema would have.
        for (int i = 2; i < 10; i++) {
            unknownSchema[i] = (byte) ~unknownSchema[i];
        }
        insertUnpublished(rule, fired.json(), newer, unknownSchema);
        insertUnpublished(rule, fired.json(), malformed, new byte[] {(byte) 0xC3, 0x01, 0x7F, 0x00});
        insertUnpublished(rule, fired.json(), afterNewer, codec.encode(afterNewer));
        insertUnpublished(rule, fired.json(), afterMalformed, codec.encode(afterMalformed));

        double failedBefore = pollFailures();
        publisher.kick();

        await().atMost(WAIT).until(() -> unsettledIds(rule).size() == 2);
        assertThat(unsettledIds(rule)).containsExactly(newer.getAlertId(), afterNewer.getAlertId());
        assertThat(deadLettered(rule)).containsOnlyKeys(malformed.getAlertId());
        assertThat(deadLettered(rule).get(malformed.getAlertId())).startsWith("cannot be decoded: ");
        assertThat(pollFailures()).isEqualTo(failedBefore);

        // An instance that knows the schema publishes it; the next round sends the later transition after it.
        pool.preparedQuery("UPDATE alerts SET published_at = now() WHERE alert_id = $1")
                .execute(Tuple.of(newer.getAlertId()))
                .await()
                .atMost(WAIT);
        publisher.kick();
        await().atMost(WAIT).until(() -> unsettledIds(rule).isEmpty());
        assertThat(deadLettered(rule)).containsOnlyKeys(malformed.getAlertId());
        assertThat(TestKafka.alerts().stream().map(ConsumerRecord::value).map(AlertEvent::getAlertId))
                .contains(afterNewer.getAlertId(), afterMalformed.getAlertId())
                .doesNotContain(newer.getAlertId(), malformed.getAlertId());
    }

    /**
     * A dead-lettered transition is settled for the later rounds too: the next transition of its alert, stored after
     * the round that dead-lettered it, is published by the next round instead of waiting behind it.
     */
    @Test
    void aTransitionStoredAfterItsAlertsDeadLetterIsPublishedByTheNextRound() {
        Fired fired = fire("relay-dead-then-next-");
        String rule = fired.rule();
        AlertEvent garbled = fired.copy("-dead");
        insertUnpublished(rule, fired.json(), garbled, new byte[] {(byte) 0xC3, 0x01, 0x7F, 0x00});
        publisher.kick();
        await().atMost(WAIT).until(() -> unsettledIds(rule).isEmpty());
        assertThat(deadLettered(rule)).containsOnlyKeys(garbled.getAlertId());

        AlertEvent next = fired.resolution("-dead");
        insertUnpublished(rule, fired.json(), next, codec.encode(next));
        publisher.kick();

        await().atMost(WAIT).until(() -> unsettledIds(rule).isEmpty());
        assertThat(deadLettered(rule)).containsOnlyKeys(garbled.getAlertId());
        assertThat(TestKafka.alerts().stream().map(ConsumerRecord::value).map(AlertEvent::getAlertId))
                .contains(next.getAlertId());
    }

    /**
     * A dead-lettered transition another instance stored (or none did) does not leave its alert's next commit to the
     * poll: the evaluator's RESOLVED of an alert with such a row before it is sent right after its commit.
     */
    @Test
    void aCommitAfterItsAlertsDeadLetterIsSentRightAfterIt() {
        Fired fired = fire("relay-dead-then-commit-");
        String rule = fired.rule();
        AlertEvent garbled = fired.copy("");
        garbled.setFingerprint(fired.fingerprint());
        garbled.setAlertId(garbled.getAlertId() + "-dead");
        double undecodableBefore = deadLetters("undecodable");
        insertUnpublished(rule, fired.json(), garbled, new byte[] {(byte) 0xC3, 0x01, 0x7F, 0x00});
        publisher.kick();
        await().atMost(WAIT).until(() -> deadLetters("undecodable") == undecodableBefore + 1);
        assertThat(deadLettered(rule)).containsOnlyKeys(garbled.getAlertId());

        double afterCommitBefore = afterCommitSends();
        double polledBefore = polledSends();
        Instant origin = Instant.parse("2026-05-06T10:00:00Z");
        TestKafka.sendWindows(Windows.table(fired.table(), origin, 1, 10), Windows.table(fired.table(), origin, 2, 10));

        await().atMost(WAIT).until(() -> stored(rule) == 3 && unsettledIds(rule).isEmpty());
        assertThat(afterCommitSends()).isEqualTo(afterCommitBefore + 1);
        assertThat(polledSends()).isEqualTo(polledBefore);
    }

    /**
     * The broker refuses a record over the topic's {@code max.message.bytes} (lowered to 100 kB for this test) that
     * the producer took: that transition is dead-lettered, and the idempotent producer goes on with the alert's next
     * one and with the sends after commit.
     */
    @Test
    void aTransitionTheBrokerRefusesAsTooLargeIsDeadLetteredAndTheProducerGoesOn() throws Exception {
        Fired fired = fire("relay-topic-limit-");
        String rule = fired.rule();
        AlertEvent overTopicLimit = fired.copy("-over-topic-limit");
        overTopicLimit.setAnnotations(Map.of("description", "x".repeat(300_000)));
        AlertEvent after = fired.resolution("-over-topic-limit");
        insertUnpublished(rule, fired.json(), overTopicLimit, codec.encode(overTopicLimit));
        insertUnpublished(rule, fired.json(), after, codec.encode(after));

        String limitBefore = alertsTopicLimit();
        setAlertsTopicLimit("100000");
        try {
            double failedBefore = pollFailures();
            publisher.kick();

            await().atMost(WAIT).until(() -> unsettledIds(rule).isEmpty());
            assertThat(deadLettered(rule)).containsOnlyKeys(overTopicLimit.getAlertId());
            assertThat(deadLettered(rule).get(overTopicLimit.getAlertId()))
                    .startsWith("refused by Kafka (RecordTooLargeException): ")
                    .doesNotContain("max.request.size");
            assertThat(TestKafka.alerts().stream().map(ConsumerRecord::value).map(AlertEvent::getAlertId))
                    .contains(after.getAlertId())
                    .doesNotContain(overTopicLimit.getAlertId());
            assertThat(pollFailures()).isEqualTo(failedBefore);

            double afterCommitBefore = afterCommitSends();
            fire("relay-topic-limit-next-");
            assertThat(afterCommitSends()).isEqualTo(afterCommitBefore + 1);
        } finally {
            setAlertsTopicLimit(limitBefore);
        }
    }

    private String alertsTopicLimit() throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, Topics.ALERTS);
            return admin.describeConfigs(List.of(topic))
                    .all()
                    .get(30, TimeUnit.SECONDS)
                    .get(topic)
                    .get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG)
                    .value();
        }
    }

    /** Sets the {@code alerts} topic's {@code max.message.bytes} and waits until the broker reports it. */
    private void setAlertsTopicLimit(String bytes) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, Topics.ALERTS);
            admin.incrementalAlterConfigs(Map.of(
                            topic,
                            List.of(new AlterConfigOp(
                                    new ConfigEntry(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, bytes),
                                    AlterConfigOp.OpType.SET))))
                    .all()
                    .get(30, TimeUnit.SECONDS);
        }
        await().atMost(WAIT).until(() -> bytes.equals(alertsTopicLimit()));
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
        insertUnpublished(rule, fired.json(), locked, codec.encode(locked));

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
    private record Fired(String rule, String table, String json, byte[] avro) {

        /** The fingerprint of the fired alert. */
        String fingerprint() {
            return AvroCodec.of(AlertEvent.class).decode(avro).getFingerprint();
        }

        /** The fired transition as one of another alert, its id and fingerprint ending in {@code suffix}. */
        AlertEvent copy(String suffix) {
            AlertEvent event = AvroCodec.of(AlertEvent.class).decode(avro);
            event.setAlertId(event.getAlertId() + suffix);
            event.setFingerprint(event.getFingerprint() + suffix);
            return event;
        }

        /** The resolution that follows {@code copy(suffix)} in its alert. */
        AlertEvent resolution(String suffix) {
            AlertEvent event = copy(suffix);
            event.setAlertId(event.getAlertId() + "-next");
            event.setStatus(AlertStatus.RESOLVED);
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
                table,
                row.getString("payload_json"),
                row.getBuffer("payload_avro").getBytes());
    }

    private double pollFailures() {
        return meters.get("rollguard.alert.relay.failed")
                .tag("path", "poll")
                .counter()
                .count();
    }

    private double deadLetters(String cause) {
        Counter counter = meters.find("rollguard.alert.relay.dead.letters")
                .tag("cause", cause)
                .counter();
        return counter == null ? 0 : counter.count();
    }

    private double afterCommitSends() {
        return meters.get("rollguard.alert.relay.published")
                .tag("path", "after-commit")
                .counter()
                .count();
    }

    private double polledSends() {
        return meters.get("rollguard.alert.relay.published")
                .tag("path", "poll")
                .counter()
                .count();
    }

    /** A transition as stored by the evaluator, its Avro payload {@code avro}, not published yet. */
    private void insertUnpublished(String rule, String json, AlertEvent event, byte[] avro) {
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
                        Buffer.buffer(avro))))
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

    /** Transitions of the rule neither published nor dead-lettered. */
    private List<String> unsettledIds(String ruleId) {
        List<String> ids = new ArrayList<>();
        pool.preparedQuery("SELECT alert_id FROM alerts WHERE rule_id = $1 AND published_at IS NULL"
                        + " AND dead_lettered_at IS NULL ORDER BY seq")
                .execute(Tuple.of(ruleId))
                .await()
                .atMost(WAIT)
                .forEach(row -> ids.add(row.getString(0)));
        return ids;
    }

    /** The rule's dead-lettered transitions: alert id to reason. */
    private Map<String, String> deadLettered(String ruleId) {
        Map<String, String> reasons = new LinkedHashMap<>();
        pool.preparedQuery("SELECT alert_id, dead_letter_reason FROM alerts WHERE rule_id = $1"
                        + " AND dead_lettered_at IS NOT NULL ORDER BY seq")
                .execute(Tuple.of(ruleId))
                .await()
                .atMost(WAIT)
                .forEach(row -> reasons.put(row.getString(0), row.getString(1)));
        return reasons;
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
