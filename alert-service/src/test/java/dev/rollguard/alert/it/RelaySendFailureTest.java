package dev.rollguard.alert.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rollguard.alert.publisher.AlertPublisher;
import dev.rollguard.alert.support.AlertTestResource;
import dev.rollguard.alert.support.Rules;
import dev.rollguard.alert.support.TestKafka;
import dev.rollguard.alert.support.Windows;
import dev.rollguard.infra.EmbeddedKafka;
import dev.rollguard.infra.InfraTestResource;
import dev.rollguard.infra.OutageTestResource;
import dev.rollguard.infra.TopicPlan;
import dev.rollguard.schemas.Topics;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.AlertStatus;
import io.micrometer.core.instrument.MeterRegistry;
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
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * A send of the outbox relay that fails is not sent again by anything but the outbox poll, which sends it in stored
 * order with the later transitions of its alert, and a failure of the broker's (a missing topic) dead-letters nothing.
 * The {@code alerts} topic is deleted on a broker of this test's own, so every send to it fails, and created again once
 * the failure was counted.
 */
@QuarkusTest
@TestProfile(RelaySendFailureTest.OwnBrokerHourlyPoll.class)
class RelaySendFailureTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    /**
     * A broker and a database of this test's own (the topic it deletes is no other test's), an outbox poll that runs
     * only when asked, and sends that wait at most a second for the topic.
     */
    public static class OwnBrokerHourlyPoll implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(
                    OutageTestResource.class, Map.of(InfraTestResource.DATABASE, AlertTestResource.DATABASE_NAME)));
        }

        @Override
        public boolean disableGlobalTestResources() {
            return true;
        }

        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "alert-service.relay.interval", "1h",
                    "alert-service.relay.max-block", "1s",
                    "alert-service.relay.delivery-timeout", "10s",
                    "alert-service.relay.request-timeout", "9s");
        }
    }

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Inject
    Pool pool;

    @Inject
    MeterRegistry meters;

    @Inject
    AlertPublisher publisher;

    @Test
    void aFailedSendIsSentAgainOnlyByThePollInOrderWithTheNextTransition() throws Exception {
        String table = "t" + UUID.randomUUID().toString().substring(0, 8);
        String rule = "relay-failed-" + table;
        Rules.slowTable(rule, table, 0, 0);
        Instant origin = Instant.parse("2026-05-04T10:00:00Z");
        await().atMost(WAIT).until(() -> unpublished("%") == 0);
        double failedBefore = failed();

        deleteAlertsTopic();
        try {
            TestKafka.sendWindowsTo(bootstrap, Windows.table(table, origin, 0, 5000));
            await().atMost(WAIT).until(() -> stored(rule) == 1);
            // The send after the commit failed, and so did the poll that followed it.
            await().atMost(WAIT).until(() -> failed() >= failedBefore + 2);
        } finally {
            createAlertsTopic();
        }

        // The topic takes records again, but nothing sends the FIRING again: no retry of the failed record.
        await().during(Duration.ofSeconds(6))
                .atMost(WAIT)
                .until(() -> alertsOf(rule).isEmpty() && unpublished(rule) == 1);

        // The next commit, the alert's RESOLVED, is left to a poll, which sends the FIRING and then the RESOLVED.
        TestKafka.sendWindowsTo(bootstrap, Windows.table(table, origin, 1, 10));
        await().atMost(WAIT).until(() -> stored(rule) == 2 && unpublished(rule) == 0);
        assertThat(alertsOf(rule))
                .extracting(AlertEvent::getStatus)
                .containsExactly(AlertStatus.FIRING, AlertStatus.RESOLVED);
        // A broker that cannot take records for a while is no reason to give a record up.
        assertThat(count("SELECT count(*) FROM alerts WHERE rule_id = $1 AND dead_lettered_at IS NOT NULL", rule))
                .isZero();
        assertThat(deadLettered()).isZero();
    }

    private double deadLettered() {
        return meters.find("rollguard.alert.relay.dead.letters").counters().stream()
                .mapToDouble(counter -> counter.count())
                .sum();
    }

    private double failed() {
        return meters.find("rollguard.alert.relay.failed").counters().stream()
                .mapToDouble(counter -> counter.count())
                .sum();
    }

    private void deleteAlertsTopic() throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            admin.deleteTopics(List.of(Topics.ALERTS)).all().get(30, TimeUnit.SECONDS);
            await().atMost(WAIT).until(() -> !admin.listTopics()
                    .names()
                    .get(30, TimeUnit.SECONDS)
                    .contains(Topics.ALERTS));
        }
    }

    private void createAlertsTopic() throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            // Deletion finishes in the background: creating the topic again fails until it has.
            await().atMost(WAIT).ignoreExceptions().until(() -> {
                EmbeddedKafka.createTopics(
                        bootstrap,
                        TopicPlan.all(3).stream()
                                .filter(topic -> topic.name().equals(Topics.ALERTS))
                                .toList());
                return admin
                        .describeTopics(List.of(Topics.ALERTS))
                        .allTopicNames()
                        .get(30, TimeUnit.SECONDS)
                        .get(Topics.ALERTS)
                        .partitions()
                        .stream()
                        .allMatch(partition -> partition.leader() != null);
            });
        }
    }

    private List<AlertEvent> alertsOf(String ruleId) {
        return TestKafka.alertsAt(bootstrap).stream()
                .map(ConsumerRecord::value)
                .filter(a -> a.getRuleId().equals(ruleId))
                .toList();
    }

    private long unpublished(String ruleId) {
        return count("SELECT count(*) FROM alerts WHERE rule_id LIKE $1 AND published_at IS NULL", ruleId);
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
