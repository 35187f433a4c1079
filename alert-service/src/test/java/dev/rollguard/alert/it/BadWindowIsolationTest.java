package dev.rollguard.alert.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rollguard.alert.publisher.DeadLetterPublisher;
import dev.rollguard.alert.service.RuleEvaluationService;
import dev.rollguard.alert.service.RuleEvaluationService.WindowRecord;
import dev.rollguard.alert.support.AlertDatabase;
import dev.rollguard.alert.support.AlertTestResource;
import dev.rollguard.alert.support.Prometheus;
import dev.rollguard.alert.support.Rules;
import dev.rollguard.alert.support.TestKafka;
import dev.rollguard.alert.support.Windows;
import dev.rollguard.schemas.Topics;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.AlertStatus;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import dev.rollguard.schemas.serde.AvroCodec;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

/**
 * Windows the database cannot store (PostgreSQL text cannot hold a NUL byte) among good ones, sent straight to
 * metrics.windows as a producer that skipped every validation would: only they are dead-lettered, with their original
 * bytes and the reason, and the good windows of the same batch raise their alerts. An outage of the database delays
 * windows and dead-letters none.
 */
@QuarkusTest
@QuarkusTestResource(AlertTestResource.class)
class BadWindowIsolationTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String DEAD_LETTERED = "rollguard_alert_windows_total";
    private static final String DEAD_LETTERED_LABEL = "outcome=\"dead-lettered\"";
    private static final AvroCodec<WindowMetricsEvent> CODEC = AvroCodec.of(WindowMetricsEvent.class);

    @Inject
    RuleEvaluationService evaluation;

    private static List<AlertEvent> firing(String ruleId, String scopeKey) {
        return TestKafka.alerts().stream()
                .map(ConsumerRecord::value)
                .filter(a -> a.getRuleId().equals(ruleId)
                        && a.getScopeKey().equals(scopeKey)
                        && a.getStatus() == AlertStatus.FIRING)
                .toList();
    }

    private static List<AlertEvent> firingOnFlag(String ruleId, String flagKey) {
        return TestKafka.alerts().stream()
                .map(ConsumerRecord::value)
                .filter(a -> a.getRuleId().equals(ruleId)
                        && flagKey.equals(a.getFlagKey())
                        && a.getStatus() == AlertStatus.FIRING)
                .toList();
    }

    private static List<ConsumerRecord<String, byte[]>> deadLettersAt(List<RecordMetadata> sent) {
        return TestKafka.raw(DeadLetterPublisher.TOPIC).stream()
                .filter(r -> sent.stream()
                        .anyMatch(m -> Long.toString(m.offset()).equals(header(r, DeadLetterPublisher.SOURCE_OFFSET))
                                && Integer.toString(m.partition())
                                        .equals(header(r, DeadLetterPublisher.SOURCE_PARTITION))))
                .toList();
    }

    private static String header(ConsumerRecord<String, byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    @Test
    void windowsTheDatabaseRefusesAreDeadLetteredAloneAndTheRestOfTheirBatchRaisesItsAlerts() {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String slow = "slow-" + suffix;
        String alsoSlow = "also-slow-" + suffix;
        Rules.slowTable("poison-" + slow, slow, 0, 0);
        Rules.slowTable("poison-" + alsoSlow, alsoSlow, 0, 0);
        String guilty = "guilty-" + suffix;
        Instant origin = Instant.parse("2026-02-07T10:00:00Z");

        WindowMetricsEvent nulInFlagKey =
                Windows.cohort("bad\u0000flag-" + suffix, Cohort.TREATMENT, origin, 0, 1000, 100);
        WindowMetricsEvent nulInTable = Windows.table("bad\u0000table-" + suffix, origin, 0, 50_000);
        nulInTable.setDurationP95Ms(50_000.0);
        // The cohorts of a real flag regressing for the default rule's two minutes, a slow table on either side of
        // each bad window, all sent together so that they share a batch.
        List<WindowMetricsEvent> windows = List.of(
                Windows.cohort(guilty, Cohort.CONTROL, origin, 0, 1000, 20),
                Windows.table(slow, origin, 0, 5000),
                nulInFlagKey,
                Windows.cohort(guilty, Cohort.TREATMENT, origin, 0, 1000, 100),
                Windows.cohort(guilty, Cohort.CONTROL, origin, 1, 1000, 20),
                nulInTable,
                Windows.cohort(guilty, Cohort.TREATMENT, origin, 1, 1000, 100),
                Windows.table(alsoSlow, origin, 0, 5000));
        List<Map.Entry<String, byte[]>> records = new ArrayList<>();
        for (WindowMetricsEvent window : windows) {
            records.add(Map.entry(TestKafka.keyOf(window), CODEC.encode(window)));
        }
        double deadLetteredBefore = Prometheus.value(DEAD_LETTERED, DEAD_LETTERED_LABEL);

        List<RecordMetadata> sent = TestKafka.sendRawTogether(records);

        await().atMost(WAIT).until(() -> deadLettersAt(sent).size() >= 2);
        await().atMost(WAIT).until(() -> !firingOnFlag("guard", guilty).isEmpty());
        await().atMost(WAIT)
                .until(() -> !firing("poison-" + slow, "table:" + slow).isEmpty()
                        && !firing("poison-" + alsoSlow, "table:" + alsoSlow).isEmpty());

        List<ConsumerRecord<String, byte[]>> deadLetters = deadLettersAt(sent);
        assertThat(deadLetters).hasSize(2);
        for (int bad : List.of(2, 5)) {
            // The two bad windows may lie at the same offset of two partitions: a dead letter is found by both.
            ConsumerRecord<String, byte[]> deadLetter = deadLetters.stream()
                    .filter(r ->
                            Long.toString(sent.get(bad).offset()).equals(header(r, DeadLetterPublisher.SOURCE_OFFSET))
                                    && Integer.toString(sent.get(bad).partition())
                                            .equals(header(r, DeadLetterPublisher.SOURCE_PARTITION)))
                    .findFirst()
                    .orElseThrow();
            assertThat(deadLetter.key()).isEqualTo(records.get(bad).getKey());
            assertThat(deadLetter.value()).isEqualTo(records.get(bad).getValue());
            assertThat(header(deadLetter, DeadLetterPublisher.REASON))
                    .startsWith("cannot be stored: ")
                    .contains("0x00")
                    .contains("22021");
            assertThat(header(deadLetter, DeadLetterPublisher.SOURCE_TOPIC)).isEqualTo(Topics.METRICS_WINDOWS);
        }
        assertThat(Prometheus.value(DEAD_LETTERED, DEAD_LETTERED_LABEL)).isEqualTo(deadLetteredBefore + 2);

        // The stored position covers the dead-lettered windows: read again, they are skipped, not dead-lettered twice.
        RecordMetadata bad = sent.get(2);
        RuleEvaluationService.Outcome redelivery = evaluation
                .process(List.of(new WindowRecord(
                        bad.topic(),
                        bad.partition(),
                        bad.offset(),
                        records.get(2).getKey(),
                        nulInFlagKey,
                        null,
                        records.get(2).getValue())))
                .await()
                .atMost(WAIT);
        assertThat(redelivery.skipped()).isEqualTo(1);
        assertThat(redelivery.rejected()).isEmpty();
        assertThat(firingOnFlag("guard", guilty)).hasSize(1);
    }

    @Test
    void anOutageOfTheDatabaseDelaysWindowsAndDeadLettersNone() {
        String table = "outage-" + UUID.randomUUID().toString().substring(0, 8);
        String rule = "slow-" + table;
        Rules.slowTable(rule, table, 0, 0);
        WindowMetricsEvent window = Windows.table(table, Instant.parse("2026-02-08T10:00:00Z"), 0, 5000);
        double deadLetteredBefore = Prometheus.value(DEAD_LETTERED, DEAD_LETTERED_LABEL);
        double retriesBefore = Prometheus.value("rollguard_alert_database_retries_total", "");

        List<RecordMetadata> sent;
        AlertDatabase.refuseConnections();
        try {
            sent = TestKafka.sendWindows(window);
            await().atMost(WAIT)
                    .until(() -> Prometheus.value("rollguard_alert_database_retries_total", "") >= retriesBefore + 3);
            assertThat(firing(rule, "table:" + table)).isEmpty();
        } finally {
            AlertDatabase.allowConnections();
        }

        await().atMost(WAIT).until(() -> firing(rule, "table:" + table).size() == 1);
        assertThat(deadLettersAt(sent)).isEmpty();
        assertThat(Prometheus.value(DEAD_LETTERED, DEAD_LETTERED_LABEL)).isEqualTo(deadLetteredBefore);
    }
}
