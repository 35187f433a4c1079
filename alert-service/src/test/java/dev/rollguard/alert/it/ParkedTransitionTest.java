package dev.rollguard.alert.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.notNullValue;

import dev.rollguard.alert.publisher.AlertPublisher;
import dev.rollguard.alert.support.AlertTestResource;
import dev.rollguard.alert.support.Api;
import dev.rollguard.alert.support.OwnAlertsTopic;
import dev.rollguard.alert.support.Prometheus;
import dev.rollguard.alert.support.Rules;
import dev.rollguard.alert.support.TestKafka;
import dev.rollguard.alert.support.Windows;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.AlertStatus;
import dev.rollguard.schemas.event.Exemplar;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * The relay on a topic of its own, on the real broker: a transition Kafka refuses for good (a record larger than the
 * topic takes) is parked, counted and logged once, never sent again, and the later transitions of its fingerprint are
 * published in their order; a transition Kafka refuses for now (its topic gone for a while: the metadata never comes)
 * still holds the later ones until it is published, and nothing is parked.
 */
@QuarkusTest
@QuarkusTestResource(AlertTestResource.class)
@TestProfile(ParkedTransitionTest.OwnTopic.class)
class ParkedTransitionTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    /** The relay publishes to a topic of this test's own. */
    public static class OwnTopic implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(OwnAlertsTopic.class));
        }
    }

    @Inject
    Pool pool;

    @ConfigProperty(name = OwnAlertsTopic.TOPIC_PROPERTY)
    String topic;

    private List<AlertEvent> alertsOf(String ruleId) {
        return TestKafka.alerts(topic).stream()
                .map(ConsumerRecord::value)
                .filter(a -> a != null && a.getRuleId().equals(ruleId))
                .toList();
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

    private long parked(String ruleId) {
        return count("SELECT count(*) FROM alerts WHERE rule_id = $1 AND parked_at IS NOT NULL", ruleId);
    }

    private static double parkedTotal(String reason) {
        return Prometheus.value("rollguard_alert_outbox_parked_total", "reason=\"" + reason + "\"");
    }

    /** A breaching window whose exemplars make its FIRING transition larger than the topic takes. */
    private static WindowMetricsEvent oversized(String table, Instant origin, int minute) {
        WindowMetricsEvent w = Windows.table(table, origin, minute, 5000);
        String padding = "x".repeat(OwnAlertsTopic.MAX_MESSAGE_BYTES / 4);
        w.setExemplars(IntStream.range(0, 5)
                .mapToObj(i -> Exemplar.newBuilder()
                        .setEventId("event-" + i + "-" + padding)
                        .setEventTime(w.getWindowStart().plusSeconds(i))
                        .build())
                .toList());
        return w;
    }

    @Test
    void aTransitionKafkaRefusesForGoodIsParkedAndTheLaterOnesOfItsFingerprintArePublished() {
        String table = "t" + UUID.randomUUID().toString().substring(0, 8);
        String rule = "parked-" + table;
        Rules.slowTable(rule, table, 0, 0);
        Instant origin = Instant.parse("2026-05-04T10:00:00Z");
        double parkedBefore = parkedTotal("too-large");
        List<String> errors = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                // The message may come formatted already, or as a format and its arguments.
                String logged = record.getMessage() + " " + Arrays.toString(record.getParameters());
                if (record.getLevel().intValue() >= Level.SEVERE.intValue() && logged.contains("parked")) {
                    errors.add(logged);
                }
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        Logger.getLogger("").addHandler(capture);
        try {
            // Fires with a record too large for the topic, then resolves with a small one.
            TestKafka.sendWindows(oversized(table, origin, 0), Windows.table(table, origin, 1, 10));

            await().atMost(WAIT).until(() -> !alertsOf(rule).isEmpty());
            assertThat(alertsOf(rule)).extracting(AlertEvent::getStatus).containsExactly(AlertStatus.RESOLVED);
            String fingerprint = alertsOf(rule).get(0).getFingerprint();
            assertThat(parked(rule)).isEqualTo(1);
            assertThat(parkedTotal("too-large")).isEqualTo(parkedBefore + 1);
            Api.admin()
                    .queryParam("view", "parked")
                    .queryParam("ruleId", rule)
                    .when()
                    .get("/api/alerts")
                    .then()
                    .statusCode(200)
                    .body("$", hasSize(1))
                    .body("[0].status", equalTo("FIRING"))
                    .body("[0].fingerprint", equalTo(fingerprint))
                    .body("[0].parked.reason", equalTo("too-large"))
                    .body("[0].parked.at", notNullValue())
                    .body("[0].parked.error", notNullValue());

            // Never sent again: the fingerprint's next transition goes out at once, the parked one stays parked.
            TestKafka.sendWindows(Windows.table(table, origin, 2, 5000));
            await().atMost(WAIT).until(() -> alertsOf(rule).size() == 2);
            assertThat(alertsOf(rule))
                    .extracting(AlertEvent::getStatus)
                    .containsExactly(AlertStatus.RESOLVED, AlertStatus.FIRING);
            await().during(Duration.ofSeconds(3)).atMost(WAIT).until(() -> parked(rule) == 1);
            assertThat(parkedTotal("too-large")).isEqualTo(parkedBefore + 1);
            assertThat(errors.stream().filter(line -> line.contains(fingerprint)))
                    .as("ERROR lines about the parked transition")
                    .hasSize(1);
        } finally {
            Logger.getLogger("").removeHandler(capture);
        }
    }

    @Test
    void aTransitionKafkaRefusesForNowHoldsTheLaterOnesOfItsFingerprintUntilItIsPublished() {
        String table = "t" + UUID.randomUUID().toString().substring(0, 8);
        String rule = "held-" + table;
        Rules.slowTable(rule, table, 0, 0);
        Instant origin = Instant.parse("2026-05-05T10:00:00Z");
        Map<String, Double> parkedBefore = AlertPublisher.PARK_REASONS.stream()
                .collect(java.util.stream.Collectors.toMap(reason -> reason, ParkedTransitionTest::parkedTotal));
        OwnAlertsTopic.delete(topic);
        try {
            TestKafka.sendWindows(Windows.table(table, origin, 0, 5000));
            await().atMost(WAIT).until(() -> count("SELECT count(*) FROM alerts WHERE rule_id = $1", rule) == 1);
            TestKafka.sendWindows(Windows.table(table, origin, 1, 10));
            await().atMost(WAIT).until(() -> count("SELECT count(*) FROM alerts WHERE rule_id = $1", rule) == 2);
            // Sends fail for now (the topic's metadata never comes) and are tried again; nothing is parked.
            await().during(Duration.ofSeconds(8)).atMost(WAIT).until(() -> unpublished(rule) == 2 && parked(rule) == 0);
        } finally {
            OwnAlertsTopic.create(topic);
        }

        await().atMost(WAIT).until(() -> unpublished(rule) == 0);
        List<AlertEvent> alerts = alertsOf(rule);
        assertThat(alerts).isNotEmpty();
        assertThat(alerts.get(0).getStatus()).isEqualTo(AlertStatus.FIRING);
        assertThat(alerts.get(alerts.size() - 1).getStatus()).isEqualTo(AlertStatus.RESOLVED);
        assertThat(alerts.stream().map(AlertEvent::getAlertId).distinct()).hasSize(2);
        assertThat(parked(rule)).isZero();
        parkedBefore.forEach((reason, before) -> assertThat(parkedTotal(reason)).isEqualTo(before));
    }

    private long unpublished(String ruleId) {
        return count("SELECT count(*) FROM alerts WHERE rule_id = $1 AND published_at IS NULL", ruleId);
    }
}
