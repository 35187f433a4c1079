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
import dev.rollguard.schemas.serde.AvroCodec;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * A poll round with many transitions of one alert (one that flapped while Kafka was away) is published whole and in
 * order: each record's wait for the acknowledgement of the one before it does not count against its hand-over time.
 */
@QuarkusTest
@QuarkusTestResource(AlertTestResource.class)
@TestProfile(RelayLongRoundTest.HourlyPollShortBlock.class)
class RelayLongRoundTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final int TRANSITIONS = 300;

    /**
     * The outbox poll runs only when asked; a record may wait only 300 ms to be handed over, far less than the
     * acknowledgements of the transitions before it take.
     */
    public static class HourlyPollShortBlock implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "alert-service.relay.interval", "1h",
                    "alert-service.relay.max-block", "300ms");
        }
    }

    private final AvroCodec<AlertEvent> codec = AvroCodec.of(AlertEvent.class);

    @Inject
    Pool pool;

    @Inject
    AlertPublisher publisher;

    @Test
    void aPollRoundWithHundredsOfTransitionsOfOneAlertIsPublishedWholeInOrderAndMarked() {
        String table = "t" + UUID.randomUUID().toString().substring(0, 8);
        String rule = "relay-long-" + table;
        Rules.slowTable(rule, table, 0, 0);
        Instant origin = Instant.parse("2026-05-05T10:00:00Z");
        TestKafka.sendWindows(Windows.table(table, origin, 0, 5000));
        await().atMost(WAIT).until(() -> stored(rule) == 1 && unpublished(rule) == 0);
        Row fired = pool.preparedQuery("SELECT payload_json, payload_avro FROM alerts WHERE rule_id = $1")
                .execute(Tuple.of(rule))
                .await()
                .atMost(WAIT)
                .iterator()
                .next();
        AlertEvent first = codec.decode(fired.getBuffer("payload_avro").getBytes());

        // The alert flapped while Kafka was away: its transitions are stored, none published.
        String prefix = first.getAlertId() + "-flap-";
        List<Tuple> rows = new ArrayList<>();
        for (int i = 0; i < TRANSITIONS; i++) {
            // Decoded afresh, not copied with Avro's builder, which copies enums with another class loader.
            AlertEvent flap = codec.decode(fired.getBuffer("payload_avro").getBytes());
            flap.setAlertId(prefix + i);
            flap.setStatus(i % 2 == 0 ? AlertStatus.RESOLVED : AlertStatus.FIRING);
            flap.setEmittedAt(Instant.now());
            rows.add(Tuple.from(List.of(
                    flap.getAlertId(),
                    flap.getFingerprint(),
                    flap.getStatus().name(),
                    flap.getSeverity().name(),
                    rule,
                    flap.getScopeKey(),
                    flap.getStartsAt().atOffset(ZoneOffset.UTC),
                    flap.getEmittedAt().atOffset(ZoneOffset.UTC),
                    fired.getString("payload_json"),
                    Buffer.buffer(codec.encode(flap)))));
        }
        pool.preparedQuery("INSERT INTO alerts (alert_id, fingerprint, status, severity, rule_id, scope_key, starts_at,"
                        + " emitted_at, payload_json, payload_avro) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
                .executeBatch(rows)
                .await()
                .atMost(WAIT);
        publisher.kick();

        await().atMost(WAIT).until(() -> unpublished(rule) == 0);
        List<String> sent = TestKafka.alerts().stream()
                .map(ConsumerRecord::value)
                .map(AlertEvent::getAlertId)
                .filter(id -> id.startsWith(prefix))
                .toList();
        assertThat(sent)
                .containsExactlyElementsOf(IntStream.range(0, TRANSITIONS)
                        .mapToObj(i -> prefix + i)
                        .toList());
    }

    private long unpublished(String ruleId) {
        return count("SELECT count(*) FROM alerts WHERE rule_id = $1 AND published_at IS NULL", ruleId);
    }

    private long stored(String ruleId) {
        return count("SELECT count(*) FROM alerts WHERE rule_id = $1", ruleId);
    }

    private long count(String sql, String ruleId) {
        return pool.preparedQuery(sql)
                .execute(Tuple.of(ruleId))
                .await()
                .atMost(WAIT)
                .iterator()
                .next()
                .getLong(0);
    }
}
