package dev.rollguard.alert.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rollguard.alert.domain.Phase;
import dev.rollguard.alert.service.RuleEvaluationService;
import dev.rollguard.alert.service.RuleEvaluationService.WindowRecord;
import dev.rollguard.alert.support.AlertTestResource;
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
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;

/**
 * A restart in the middle of a breach: the evaluator's memory is dropped and rebuilt from the database, as a new
 * instance would, and redelivered windows are recognised; the alert fires exactly once, on time.
 */
@QuarkusTest
@QuarkusTestResource(AlertTestResource.class)
class RestartMidBreachTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    RuleEvaluationService evaluation;

    @Inject
    Pool pool;

    private List<AlertEvent> firingOf(String ruleId) {
        return TestKafka.alerts().stream()
                .map(ConsumerRecord::value)
                .filter(a -> a.getRuleId().equals(ruleId) && a.getStatus() == AlertStatus.FIRING)
                .toList();
    }

    private RuleEvaluationService.Tracked state(String rule, String scopeKey) {
        return evaluation.state(rule, scopeKey).await().atMost(Duration.ofSeconds(5));
    }

    @Test
    void stateSurvivesARestartAndRedeliveriesNeitherLoseNorRepeatTheAlert() {
        String table = "t" + UUID.randomUUID().toString().substring(0, 8);
        String rule = "restart-" + table;
        String scopeKey = "table:" + table;
        Rules.slowTable(rule, table, 180, 0);
        Instant origin = Instant.parse("2026-03-01T10:00:00Z");

        WindowMetricsEvent w0 = Windows.table(table, origin, 0, 5000);
        WindowMetricsEvent w1 = Windows.table(table, origin, 1, 5000);
        List<RecordMetadata> sent = TestKafka.sendWindows(w0, w1);
        await().atMost(WAIT).until(() -> {
            var tracked = state(rule, scopeKey);
            return tracked != null && w1.getWindowEnd().equals(tracked.state().lastWindowEnd());
        });

        // Restart: memory gone, rebuilt from PostgreSQL.
        evaluation.reload().await().atMost(WAIT);
        RuleEvaluationService.Tracked restored = state(rule, scopeKey);
        assertThat(restored.state().critical().phase()).isEqualTo(Phase.PENDING);
        assertThat(restored.state().critical().firstBreachAt()).isEqualTo(origin);

        // Kafka redelivers what was evaluated before the crash: recognised by its stored position, skipped.
        RecordMetadata w1Meta = sent.get(1);
        RuleEvaluationService.Outcome redelivery = evaluation
                .process(List.of(new WindowRecord(
                        Topics.METRICS_WINDOWS,
                        w1Meta.partition(),
                        w1Meta.offset(),
                        scopeKey,
                        w1,
                        null,
                        AvroCodec.of(WindowMetricsEvent.class).encode(w1))))
                .await()
                .atMost(WAIT);
        assertThat(redelivery.skipped()).isEqualTo(1);
        assertThat(redelivery.evaluated()).isZero();

        // The third breaching minute completes `for` (180 s) counted from the first window before the restart.
        WindowMetricsEvent w2 = Windows.table(table, origin, 2, 5000);
        TestKafka.sendWindows(w2);
        await().atMost(WAIT).until(() -> firingOf(rule).size() == 1);
        AlertEvent firing = firingOf(rule).get(0);
        assertThat(firing.getFirstBreachAt()).isEqualTo(origin);
        assertThat(firing.getStartsAt()).isEqualTo(w2.getWindowEnd());

        // Another restart while firing: the breach goes on, and nobody is paged again.
        evaluation.reload().await().atMost(WAIT);
        assertThat(state(rule, scopeKey).state().critical().phase()).isEqualTo(Phase.FIRING);
        WindowMetricsEvent w3 = Windows.table(table, origin, 3, 5000);
        TestKafka.sendWindows(w3);
        await().atMost(WAIT).until(() -> w3.getWindowEnd()
                .equals(state(rule, scopeKey).state().lastWindowEnd()));
        assertThat(firingOf(rule)).hasSize(1);
    }

    @Test
    void theGuardsEvidenceOfAStageSurvivesARestart() {
        String flag = "restart-flag-" + UUID.randomUUID().toString().substring(0, 8);
        Instant origin = Instant.parse("2026-03-02T10:00:00Z");
        TestKafka.sendWindows(Windows.cohort(flag, Cohort.TREATMENT, origin, 0, 1000, 100));
        await().atMost(WAIT)
                .until(() -> pool.preparedQuery("SELECT count(*) FROM guard_stages WHERE flag_key = $1")
                                .execute(Tuple.of(flag))
                                .await()
                                .atMost(Duration.ofSeconds(5))
                                .iterator()
                                .next()
                                .getLong(0)
                        == 1);

        // Restart between the two cohorts' windows: the treatment's evidence comes back from the database.
        evaluation.reload().await().atMost(WAIT);
        TestKafka.sendWindows(Windows.cohort(flag, Cohort.CONTROL, origin, 0, 1000, 20));
        // The guard's evidence of minute 0 must have survived the restart: the alert then starts at minute 0.
        TestKafka.sendWindows(
                Windows.cohort(flag, Cohort.TREATMENT, origin, 1, 1000, 100),
                Windows.cohort(flag, Cohort.CONTROL, origin, 1, 1000, 20));

        String rule = "guard";
        await().atMost(WAIT).until(() -> firingOf(rule).stream().anyMatch(a -> flag.equals(a.getFlagKey())));
        assertThat(firingOf(rule).stream().filter(a -> flag.equals(a.getFlagKey())))
                .singleElement()
                .satisfies(a -> assertThat(a.getFirstBreachAt()).isEqualTo(origin));
    }
}
