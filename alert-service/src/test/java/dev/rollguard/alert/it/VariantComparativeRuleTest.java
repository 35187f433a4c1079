package dev.rollguard.alert.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rollguard.alert.service.RuleEvaluationService;
import dev.rollguard.alert.support.AlertTestResource;
import dev.rollguard.alert.support.Api;
import dev.rollguard.alert.support.TestKafka;
import dev.rollguard.alert.support.Windows;
import dev.rollguard.infra.SharedInfra;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.AlertStatus;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.Severity;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * A comparative threshold rule on a flag with weighted variants: each variant's window is compared with the control
 * window of the same interval, with one alert state per variant, and the alerts name the variant.
 */
@QuarkusTest
@QuarkusTestResource(AlertTestResource.class)
class VariantComparativeRuleTest {

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

    private static List<AlertEvent> alertsOf(String rule) {
        return TestKafka.alerts().stream()
                .map(ConsumerRecord::value)
                .filter(a -> a.getRuleId().equals(rule))
                .toList();
    }

    private RuleEvaluationService.Tracked state(String rule, String scopeKey) {
        return evaluation.state(rule, scopeKey).await().atMost(Duration.ofSeconds(5));
    }

    /** The rows of {@code sql} with one string parameter, each row's columns joined by '|'. */
    private static List<String> rows(String sql, String parameter) throws SQLException {
        try (Connection db = DriverManager.getConnection(
                        SharedInfra.jdbcUrl(AlertTestResource.DATABASE_NAME),
                        SharedInfra.dbUser(),
                        SharedInfra.dbPassword());
                PreparedStatement query = db.prepareStatement(sql)) {
            query.setString(1, parameter);
            List<String> rows = new ArrayList<>();
            try (ResultSet row = query.executeQuery()) {
                while (row.next()) {
                    List<String> columns = new ArrayList<>();
                    for (int i = 1; i <= row.getMetaData().getColumnCount(); i++) {
                        columns.add(String.valueOf(row.getObject(i)));
                    }
                    rows.add(String.join("|", columns));
                }
            }
            return rows;
        }
    }

    @Test
    void theRegressedVariantFiresAndResolvesOnItsOwnWhileTheHealthyOneStaysQuiet() throws SQLException {
        String flag = "palette-" + UUID.randomUUID().toString().substring(0, 8);
        String rule = "cmp-" + flag;
        String body =
                """
                {"id": "%s", "name": "Worse than control", "metric": "errorRate", "comparator": "WORSE_THAN_CONTROL",
                 "critical": {"threshold": 0.02}, "forSeconds": 0, "keepFiringForSeconds": 0, "minSampleSize": 100,
                 "scope": {"types": ["FLAG_COHORT"], "flagKey": "%s", "cohort": "TREATMENT"}}"""
                        .formatted(rule, flag);
        Api.admin().body(body).when().post("/api/rules").then().statusCode(201);
        Instant origin = Instant.parse("2026-05-11T10:00:00Z");
        String green = "flag:" + flag + ":treatment:green";
        String blue = "flag:" + flag + ":treatment:blue";

        // Minute 0: 40 % of green's events fail, 2 % of blue's and the control's; the variants come before the control.
        int partition = TestKafka.sendWindows(
                        variant(flag, "green", origin, 0, 2000, 800),
                        variant(flag, "blue", origin, 0, 2000, 40),
                        Windows.cohort(flag, Cohort.CONTROL, origin, 0, 2000, 40))
                .get(0)
                .partition();

        await().atMost(WAIT).until(() -> !alertsOf(rule).isEmpty());
        AlertEvent firing = alertsOf(rule).get(0);
        assertThat(firing.getStatus()).isEqualTo(AlertStatus.FIRING);
        assertThat(firing.getSeverity()).isEqualTo(Severity.CRITICAL);
        assertThat(firing.getFlagKey()).isEqualTo(flag);
        assertThat(firing.getVariant()).isEqualTo("green");
        assertThat(firing.getScopeKey()).isEqualTo(green);
        assertThat(firing.getLabels()).containsEntry("variant", "green").containsEntry("flag", flag);
        assertThat(firing.getComparison().getTreatmentValue()).isEqualTo(0.4);
        assertThat(firing.getComparison().getControlValue()).isEqualTo(0.02);
        assertThat(firing.getAnnotations().get("description")).startsWith("errorRate: variant green 0.4000");
        Map<String, Object> view = Api.admin()
                .queryParam("ruleId", rule)
                .when()
                .get("/api/alerts")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getMap("[0]");
        assertThat(view).containsEntry("variant", "green").containsEntry("scopeKey", green);

        // Blue was compared with the same control window on its own state, and did not breach.
        await().atMost(WAIT).until(() -> {
            RuleEvaluationService.Tracked tracked = state(rule, blue);
            return tracked != null
                    && origin.plus(Windows.MINUTE).equals(tracked.state().lastWindowEnd());
        });
        assertThat(state(rule, blue).state().level(Severity.CRITICAL).firing()).isFalse();
        assertThat(state(rule, green).state().level(Severity.CRITICAL).firing()).isTrue();
        // Green's state is stored under the partition of the flag's windows, so only that partition's owner acts on
        // it; the control waits for variants still to come, and the variants that met it wait no more.
        assertThat(rows("SELECT scope_key, partition_no FROM rule_states WHERE rule_id = ?", rule))
                .contains(green + "|" + partition);
        assertThat(rows("SELECT cohort, variant, window_start FROM cohort_windows WHERE flag_key = ?", flag))
                .containsExactly("CONTROL||" + origin.toEpochMilli());

        // Minute 1: the control comes first and green has recovered; its alert resolves, blue's state is untouched.
        TestKafka.sendWindows(
                Windows.cohort(flag, Cohort.CONTROL, origin, 1, 2000, 40),
                variant(flag, "green", origin, 1, 2000, 40),
                variant(flag, "blue", origin, 1, 2000, 40));

        await().atMost(WAIT).until(() -> alertsOf(rule).size() >= 2);
        await().atMost(WAIT).until(() -> {
            RuleEvaluationService.Tracked tracked = state(rule, blue);
            return tracked != null
                    && origin.plus(Windows.MINUTE.multipliedBy(2))
                            .equals(tracked.state().lastWindowEnd());
        });
        List<AlertEvent> alerts = alertsOf(rule);
        assertThat(alerts).hasSize(2).allMatch(a -> "green".equals(a.getVariant()) && green.equals(a.getScopeKey()));
        assertThat(alerts.get(1).getStatus()).isEqualTo(AlertStatus.RESOLVED);
        assertThat(alerts.get(1).getFingerprint()).isEqualTo(firing.getFingerprint());
        assertThat(state(rule, blue).state().level(Severity.CRITICAL).firing()).isFalse();
    }
}
