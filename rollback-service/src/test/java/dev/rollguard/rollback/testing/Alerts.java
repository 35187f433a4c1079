package dev.rollguard.rollback.testing;

import dev.rollguard.rollback.listener.AlertListener;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.AlertStatus;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.CohortComparison;
import dev.rollguard.schemas.event.RollbackActionEvent;
import dev.rollguard.schemas.event.RolloutActionEvent;
import dev.rollguard.schemas.event.ScopeType;
import dev.rollguard.schemas.event.Severity;
import dev.rollguard.schemas.serde.AvroSerde;
import io.smallrye.reactive.messaging.kafka.companion.ConsumerTask;
import io.smallrye.reactive.messaging.kafka.companion.KafkaCompanion;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.config.ConfigProvider;

/** Builds alert events and talks to the real test broker: produce alerts, read rollbacks and dead letters. */
public final class Alerts {

    private static KafkaCompanion companion;

    private Alerts() {}

    /** A firing critical comparative alert on the treated cohort of {@code flagKey}, fired a moment ago. */
    public static AlertEvent.Builder critical(String flagKey) {
        Instant startsAt = Instant.now().truncatedTo(ChronoUnit.MILLIS).minusMillis(6_000);
        return AlertEvent.newBuilder()
                .setAlertId(UUID.randomUUID().toString())
                .setFingerprint("fp-" + UUID.randomUUID())
                .setStatus(AlertStatus.FIRING)
                .setSeverity(Severity.CRITICAL)
                .setRuleId("upload-failure-vs-control")
                .setRuleName("Upload failures worse than control")
                .setMetric("uploadFailureRate")
                .setComparator("WORSE_THAN_CONTROL")
                .setThreshold(0.02)
                .setObservedValue(0.31)
                .setSampleSize(420)
                .setScopeType(ScopeType.FLAG_COHORT)
                .setScopeKey("flag:" + flagKey)
                .setFlagKey(flagKey)
                .setCohort(Cohort.TREATMENT)
                .setWindowStart(startsAt.minusSeconds(10))
                .setWindowEnd(startsAt)
                .setFirstBreachAt(startsAt.minusSeconds(20))
                .setFirstBreachEventTime(startsAt.minusSeconds(19))
                // startsAt is event time; the window closed (grace) and the alert left its service later, by the clock.
                .setWindowClosedAt(startsAt.plusSeconds(5))
                .setStartsAt(startsAt)
                .setEmittedAt(startsAt.plusMillis(5_200))
                .setComparison(CohortComparison.newBuilder()
                        .setTreatmentValue(0.31)
                        .setControlValue(0.01)
                        .setTreatmentSamples(420)
                        .setControlSamples(3900)
                        .setPValue(1.0e-9)
                        .setMethod("normal-mixture confidence sequence (mSPRT), client delta method")
                        .setTreatmentClients(212L)
                        .setControlClients(1_788L)
                        .setRelativeEffect(30.0)
                        .setEffectLower(12.5)
                        .setEffectUpper(61.0)
                        .setConfidence(0.999)
                        .setEvidence(15.3)
                        .setSummary("upload failure rate 31 % vs 1.0 %, +3 000 %, 212 vs 1 788 clients")
                        .build());
    }

    /** A firing critical alert on a scope that names no flag. */
    public static AlertEvent.Builder scopeless(String table) {
        return critical("unused")
                .setFlagKey(null)
                .setCohort(null)
                .setComparison(null)
                .setComparator("GT")
                .setScopeType(ScopeType.TABLE)
                .setScopeKey("table:" + table)
                .setTable(table);
    }

    /** The idempotency key the service derives from the alert. */
    public static String actionId(AlertEvent alert) {
        return alert.getFingerprint() + ":" + alert.getStartsAt().toEpochMilli();
    }

    public static void send(AlertEvent... alerts) {
        for (AlertEvent alert : alerts) {
            kafka().produce(String.class, AlertEvent.class)
                    .fromRecords(new ProducerRecord<>(AlertListener.CHANNEL, alert.getFingerprint(), alert))
                    .awaitCompletion();
        }
    }

    /** Sends one alert and returns its offset on the alerts topic (one partition). */
    public static long sendAt(AlertEvent alert) {
        return kafka().produce(String.class, AlertEvent.class)
                .fromRecords(new ProducerRecord<>(AlertListener.CHANNEL, alert.getFingerprint(), alert))
                .awaitCompletion()
                .getLastRecord()
                .offset();
    }

    /**
     * The offset the guard's consumer group committed on the alerts topic, i.e. the first record a restarted guard
     * reads; -1 while none is committed.
     */
    public static long committedOffset() {
        OffsetAndMetadata committed = kafka().consumerGroups()
                .offsets(
                        ConfigProvider.getConfig().getValue("mp.messaging.incoming.alerts.group.id", String.class),
                        new TopicPartition(AlertListener.CHANNEL, 0));
        return committed == null ? -1 : committed.offset();
    }

    public static void sendBytes(String key, byte[] value) {
        kafka().produce(String.class, byte[].class)
                .fromRecords(new ProducerRecord<>(AlertListener.CHANNEL, key, value))
                .awaitCompletion();
    }

    /** A consumer of the rollbacks topic from its beginning; close it at the end of the test. */
    public static ConsumerTask<String, RollbackActionEvent> rollbacks() {
        return kafka().consume(String.class, RollbackActionEvent.class)
                .withProp(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest")
                .fromTopics("rollbacks");
    }

    /** A consumer of the rollouts topic from its beginning; close it at the end of the test. */
    public static ConsumerTask<String, RolloutActionEvent> rollouts() {
        return kafka().consume(String.class, RolloutActionEvent.class)
                .withProp(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest")
                .fromTopics("rollouts");
    }

    /** The promoter's events of one flag on the rollouts topic. */
    public static List<RolloutActionEvent> rolloutsOf(ConsumerTask<String, RolloutActionEvent> task, String flagKey) {
        return task.getRecords().stream()
                .map(ConsumerRecord::value)
                .filter(e -> flagKey.equals(e.getFlagKey()))
                .toList();
    }

    /** A consumer of the alerts dead-letter topic from its beginning; close it at the end of the test. */
    public static ConsumerTask<String, byte[]> deadLetters() {
        return kafka().consume(String.class, byte[].class)
                .withProp(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest")
                .fromTopics(AlertListener.DEAD_LETTER_TOPIC);
    }

    /** The events of one action on the rollbacks topic. */
    public static List<RollbackActionEvent> eventsOf(ConsumerTask<String, RollbackActionEvent> task, String actionId) {
        return task.getRecords().stream()
                .map(ConsumerRecord::value)
                .filter(e -> actionId.equals(e.getActionId()))
                .toList();
    }

    private static synchronized KafkaCompanion kafka() {
        if (companion == null) {
            companion =
                    new KafkaCompanion(ConfigProvider.getConfig().getValue("kafka.bootstrap.servers", String.class));
            companion.registerSerde(AlertEvent.class, AvroSerde.of(AlertEvent.class));
            companion.registerSerde(RollbackActionEvent.class, AvroSerde.of(RollbackActionEvent.class));
            companion.registerSerde(RolloutActionEvent.class, AvroSerde.of(RolloutActionEvent.class));
        }
        return companion;
    }
}
