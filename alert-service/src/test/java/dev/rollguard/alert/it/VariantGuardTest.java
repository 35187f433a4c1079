package dev.rollguard.alert.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import dev.rollguard.alert.service.RuleEvaluationService;
import dev.rollguard.alert.support.AlertTestResource;
import dev.rollguard.alert.support.Api;
import dev.rollguard.alert.support.TestKafka;
import dev.rollguard.alert.support.Windows;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.AlertStatus;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.Severity;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * A flag with weighted variants: each treated variant's windows are judged against the control on their own, and a
 * regression of one variant fires the guard's alert on that variant's scope, naming it and the flag.
 */
@QuarkusTest
@QuarkusTestResource(AlertTestResource.class)
class VariantGuardTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    RuleEvaluationService evaluation;

    private static WindowMetricsEvent variant(
            String flag, String variant, Instant origin, int minute, long events, long failures) {
        WindowMetricsEvent w = Windows.cohort(flag, Cohort.TREATMENT, origin, minute, events, failures);
        w.setScopeKey("flag:" + flag + ":treatment:" + variant);
        w.setVariant(variant);
        return w;
    }

    private static List<AlertEvent> guardAlertsOf(String flag) {
        return TestKafka.alerts().stream()
                .map(ConsumerRecord::value)
                .filter(a -> a.getRuleId().equals("guard") && flag.equals(a.getFlagKey()))
                .toList();
    }

    @Test
    void theRegressedVariantIsNamedInTheAlertAndTheHealthyOneIsNot() {
        String flag = "colours-" + UUID.randomUUID().toString().substring(0, 8);
        Instant origin = Instant.parse("2026-02-09T10:00:00Z");
        // 2 % of the control's and blue's events fail; 40 % of green's.
        int partition = TestKafka.sendWindows(
                        Windows.cohort(flag, Cohort.CONTROL, origin, 0, 2000, 40),
                        variant(flag, "blue", origin, 0, 2000, 40),
                        variant(flag, "green", origin, 0, 2000, 800))
                .get(0)
                .partition();

        await().atMost(WAIT).until(() -> !guardAlertsOf(flag).isEmpty());
        AlertEvent alert = guardAlertsOf(flag).get(0);
        assertThat(alert.getStatus()).isEqualTo(AlertStatus.FIRING);
        assertThat(alert.getSeverity()).isEqualTo(Severity.CRITICAL);
        assertThat(alert.getFlagKey()).isEqualTo(flag);
        assertThat(alert.getVariant()).isEqualTo("green");
        assertThat(alert.getScopeKey()).isEqualTo("flag:" + flag + ":treatment:green");
        assertThat(alert.getLabels()).containsEntry("variant", "green").containsEntry("flag", flag);
        assertThat(alert.getMetric()).isEqualTo("failure");
        assertThat(alert.getComparison().getSummary()).startsWith("variant green: REGRESSION");

        // Blue was judged on its own scope against the same control, and is not regressed.
        await().atMost(WAIT).until(() -> {
            RuleEvaluationService.Tracked blue = evaluation
                    .state("guard", "flag:" + flag + ":treatment:blue")
                    .await()
                    .atMost(Duration.ofSeconds(5));
            return blue != null
                    && origin.plus(Windows.MINUTE).equals(blue.state().lastWindowEnd());
        });
        assertThat(guardAlertsOf(flag)).allMatch(a -> "green".equals(a.getVariant()));
        Api.admin()
                .queryParam("flag", flag)
                .when()
                .get("/api/guard")
                .then()
                .statusCode(200)
                .body("[0].status", equalTo("REGRESSION"))
                .body("[0].variant", equalTo("green"))
                .body("[0].variants.find { it.variant == 'green' }.status", equalTo("REGRESSION"))
                .body("[0].variants.find { it.variant == 'blue' }.status", not(equalTo("REGRESSION")));

        // Another replica's view: with the flag's partition gone from this instance, it answers from what the owner
        // stored with the evidence, in full (the stage version the promoter needs, every metric, the variants).
        Map<String, Object> live = guardOf(flag);
        evaluation.revoked(List.of(partition)).await().atMost(WAIT);
        try {
            assertThat(evaluation.heldPartitions().await().atMost(WAIT)).doesNotContain(partition);
            Map<String, Object> stored = guardOf(flag);
            assertThat(stored.get("stageVersion")).isNotNull().isEqualTo(live.get("stageVersion"));
            assertThat(stored)
                    .containsEntry("status", "REGRESSION")
                    .containsEntry("variant", "green")
                    .containsEntry("metrics", live.get("metrics"))
                    .containsEntry("variants", live.get("variants"))
                    .containsEntry("confidence", live.get("confidence"));
        } finally {
            evaluation.assigned(List.of(partition), 3).await().atMost(WAIT);
        }
    }

    private static Map<String, Object> guardOf(String flag) {
        return Api.admin()
                .queryParam("flag", flag)
                .when()
                .get("/api/guard")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getMap("[0]");
    }
}
