package dev.rollguard.flag;

import static dev.rollguard.flag.FlagChanges.awaitEvent;
import static dev.rollguard.flag.FlagChanges.bootstrap;
import static dev.rollguard.flag.FlagChanges.events;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import dev.rollguard.flag.publisher.OutboxRelay;
import dev.rollguard.schemas.Topics;
import dev.rollguard.schemas.event.FlagChangeType;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.serde.AvroCodec;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** The outbox relay to flags.changes, and the snapshot following changes that other instances publish there. */
@QuarkusTest
@QuarkusTestResource(FlagServiceInfra.class)
class OutboxRelayTest {

    private static final AvroCodec<FlagChangedEvent> CODEC = AvroCodec.of(FlagChangedEvent.class);

    @Inject
    OutboxRelay relay;

    @Test
    void everyChangeIsPublishedWithTheFullStateAndMarkedSent() throws Exception {
        String key = Api.key("published");
        Api.create(Map.of(
                "key", key, "enabled", true, "allowList", List.of("admin@example.com"), "rolloutPercentage", 10));

        FlagChangedEvent event = awaitEvent(key, 1);
        assertThat(event.getChangeType()).isEqualTo(FlagChangeType.CREATED);
        assertThat(event.getEnabled()).isTrue();
        assertThat(event.getRolloutBasisPoints()).isEqualTo(1000);
        assertThat(event.getAllowList()).containsExactly("admin@example.com");
        assertThat(event.getActor()).isEqualTo("bootstrap-admin");
        await().atMost(Duration.ofSeconds(10)).until(() -> sentAt(key, 1) != null);

        Api.admin()
                .body(Map.of("reason", "hold"))
                .post("/api/flags/" + key + "/pause")
                .then()
                .statusCode(200);
        Api.admin()
                .body(Map.of("reason", "go on"))
                .post("/api/flags/" + key + "/resume")
                .then()
                .statusCode(200);
        assertThat(awaitEvent(key, 2).getChangeType()).isEqualTo(FlagChangeType.PAUSED);
        FlagChangedEvent resumed = awaitEvent(key, 3);
        assertThat(resumed.getChangeType()).isEqualTo(FlagChangeType.RESUMED);
        assertThat(resumed.getReason()).isEqualTo("go on");
        assertThat(resumed.getPaused()).isFalse();
    }

    @Test
    void aChangeCommittedWhileTheRelayIsDownIsPublishedWhenItComesBack() throws Exception {
        String key = Api.key("restart");
        Api.create(Map.of("key", key, "enabled", true, "rolloutPercentage", 100));
        awaitEvent(key, 1);

        relay.stop(); // what a shutdown does: the commit below happens, its publication does not
        try {
            Api.kill(key, "killed while the relay is down");
            // Committed and served at once by this instance, but still waiting in the outbox.
            Api.evaluate(key, "u1").then().body("reason", equalTo("DISABLED"));
            assertThat(outboxRow(key, 2)).isTrue();
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3)).until(() -> sentAt(key, 2) == null);
            assertThat(events(key)).extracting(FlagChangedEvent::getVersion).containsOnly(1L);
            // Operators see the backlog: the gauge the PrometheusRule's outbox alert watches.
            await().atMost(Duration.ofSeconds(5)).until(() -> outboxPendingGauge() >= 1);
        } finally {
            relay.start(); // what the next start does: relay whatever was left unsent
        }

        FlagChangedEvent killed = awaitEvent(key, 2);
        assertThat(killed.getChangeType()).isEqualTo(FlagChangeType.KILLED);
        assertThat(killed.getKilled()).isTrue();
        assertThat(killed.getKillReason()).isEqualTo("killed while the relay is down");
        await().atMost(Duration.ofSeconds(10)).until(() -> sentAt(key, 2) != null);
    }

    @Test
    void changesPublishedByAnotherInstanceReachTheSnapshotAndJunkIsSkipped() throws Exception {
        String key = Api.key("remote");
        Api.create(Map.of("key", key, "enabled", true, "rolloutPercentage", 100));
        FlagChangedEvent created = awaitEvent(key, 1);
        Api.evaluate(key, "u1").then().body("value", equalTo(true));

        // A copy through the codec: Avro's builder copy picks the wrong class loader inside a Quarkus test.
        FlagChangedEvent remoteKill = CODEC.decode(CODEC.encode(created));
        remoteKill.setEventId(UUID.randomUUID().toString());
        remoteKill.setVersion(7L);
        remoteKill.setChangeType(FlagChangeType.KILLED);
        remoteKill.setKilled(true);
        remoteKill.setKillReason("killed on another instance");
        try (KafkaProducer<String, byte[]> producer = producer()) {
            producer.send(new ProducerRecord<>(Topics.FLAGS_CHANGES, key, "not avro".getBytes(StandardCharsets.UTF_8)))
                    .get();
            producer.send(new ProducerRecord<>(Topics.FLAGS_CHANGES, key, CODEC.encode(remoteKill)))
                    .get();
        }

        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> Api.evaluate(key, "u1").then().body("reason", equalTo("DISABLED")));
        // An older version arriving late changes nothing.
        try (KafkaProducer<String, byte[]> producer = producer()) {
            producer.send(new ProducerRecord<>(Topics.FLAGS_CHANGES, key, CODEC.encode(created)))
                    .get();
        }
        await().during(Duration.ofSeconds(1))
                .atMost(Duration.ofSeconds(2))
                .untilAsserted(() -> Api.evaluate(key, "u1").then().body("reason", equalTo("DISABLED")));
    }

    @Test
    void aRowTheBrokerRefusesIsSetAsideAndTheChangesBehindItArePublished() throws Exception {
        // Over the producer's max.request.size (1 MB): as a row committed before writes were bounded.
        String oversized = Api.key("oversized");
        long id;
        try (var db = DriverManager.getConnection(FlagServiceInfra.jdbcUrl(), "postgres", "");
                var insert = db.prepareStatement("INSERT INTO outbox (event_id, flag_key, version, payload, created_at)"
                        + " VALUES (?, ?, 1, ?, now()) RETURNING id")) {
            insert.setObject(1, UUID.randomUUID());
            insert.setString(2, oversized);
            insert.setBytes(3, new byte[1_200_000]);
            try (ResultSet rs = insert.executeQuery()) {
                rs.next();
                id = rs.getLong(1);
            }
        }
        double setAsideBefore = metric("rollguard_outbox_set_aside_total");

        String key = Api.key("behind");
        Api.create(Map.of("key", key, "enabled", true, "rolloutPercentage", 100));
        Api.kill(key, "must go out");

        assertThat(awaitEvent(key, 2).getKilled()).isTrue();
        await().atMost(Duration.ofSeconds(10)).until(() -> sentAt(key, 1) != null && sentAt(key, 2) != null);
        try (var db = DriverManager.getConnection(FlagServiceInfra.jdbcUrl(), "postgres", "");
                var query = db.prepareStatement("SELECT sent_at, failed_at, failure FROM outbox WHERE id = ?")) {
            query.setLong(1, id);
            try (ResultSet rs = query.executeQuery()) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getObject("sent_at")).isNull();
                assertThat(rs.getObject("failed_at")).isNotNull();
                assertThat(rs.getString("failure")).contains("RecordTooLarge");
            }
        }
        assertThat(metric("rollguard_outbox_set_aside_total")).isGreaterThan(setAsideBefore);
        assertThat(events(oversized)).isEmpty();
    }

    private static double metric(String name) {
        String metrics = io.restassured.RestAssured.given()
                .accept("text/plain")
                .get("/q/metrics")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        return metrics.lines()
                .filter(line -> line.startsWith(name))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .findFirst()
                .orElse(0);
    }

    private static double outboxPendingGauge() {
        String metrics = io.restassured.RestAssured.given()
                .accept("text/plain")
                .get("/q/metrics")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        return metrics.lines()
                .filter(line -> line.startsWith("rollguard_outbox_pending"))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .findFirst()
                .orElse(-1);
    }

    private static KafkaProducer<String, byte[]> producer() {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap());
        return new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    }

    private static Object sentAt(String key, long version) throws Exception {
        try (var db = DriverManager.getConnection(FlagServiceInfra.jdbcUrl(), "postgres", "");
                var query = db.prepareStatement("SELECT sent_at FROM outbox WHERE flag_key = ? AND version = ?")) {
            query.setString(1, key);
            query.setLong(2, version);
            try (ResultSet rs = query.executeQuery()) {
                return rs.next() ? rs.getObject(1) : null;
            }
        }
    }

    private static boolean outboxRow(String key, long version) throws Exception {
        try (var db = DriverManager.getConnection(FlagServiceInfra.jdbcUrl(), "postgres", "");
                var query = db.prepareStatement("SELECT 1 FROM outbox WHERE flag_key = ? AND version = ?")) {
            query.setString(1, key);
            query.setLong(2, version);
            try (ResultSet rs = query.executeQuery()) {
                return rs.next();
            }
        }
    }
}
