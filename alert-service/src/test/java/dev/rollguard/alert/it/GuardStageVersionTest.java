package dev.rollguard.alert.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rollguard.alert.support.AlertTestResource;
import dev.rollguard.alert.support.Api;
import dev.rollguard.alert.support.TestKafka;
import dev.rollguard.alert.support.Windows;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.AlertStatus;
import dev.rollguard.schemas.event.ClientMoment;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * A guard alert names the rollout stage it judged: its comparison carries the version of the flag that began the
 * stage whose client-level moments were compared, on the alerts topic and in the alert API, for a flag and for each
 * weighted variant.
 */
@QuarkusTest
@QuarkusTestResource(AlertTestResource.class)
class GuardStageVersionTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    /** A cohort window whose client moments belong to the stage that began at flag version {@code stage}. */
    private static WindowMetricsEvent window(
            String flag, Cohort cohort, String variant, int minute, long failures, long stage) {
        WindowMetricsEvent w =
                Windows.cohort(flag, cohort, Instant.parse("2026-02-10T10:00:00Z"), minute, 2000, failures);
        if (variant != null) {
            w.setScopeKey("flag:" + flag + ":treatment:" + variant);
            w.setVariant(variant);
        }
        w.setClientMoments(w.getClientMoments().stream()
                .map(m -> ClientMoment.newBuilder(m).setStageVersion(stage).build())
                .toList());
        return w;
    }

    private static List<AlertEvent> guardAlertsOf(String flag) {
        return TestKafka.alerts().stream()
                .map(ConsumerRecord::value)
                .filter(a -> a.getRuleId().equals("guard") && flag.equals(a.getFlagKey()))
                .toList();
    }

    private static Map<String, Object> comparisonInApi(String flag) {
        return Api.admin()
                .queryParam("view", "history")
                .queryParam("flagKey", flag)
                .when()
                .get("/api/alerts")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getMap("[0].comparison");
    }

    @Test
    void aGuardAlertCarriesTheStageVersionOfTheWindowsThatRaisedIt() {
        String flag = "staged-" + UUID.randomUUID().toString().substring(0, 8);
        // 40 % of the treatment's events fail, 2 % of the control's, in the stage that began at flag version 7.
        TestKafka.sendWindows(
                window(flag, Cohort.CONTROL, null, 0, 40, 7), window(flag, Cohort.TREATMENT, null, 0, 800, 7));

        await().atMost(WAIT).until(() -> !guardAlertsOf(flag).isEmpty());
        AlertEvent alert = guardAlertsOf(flag).get(0);
        assertThat(alert.getStatus()).isEqualTo(AlertStatus.FIRING);
        assertThat(alert.getComparison().getStageVersion()).isEqualTo(7L);
        assertThat(comparisonInApi(flag)).containsEntry("stageVersion", 7);
    }

    @Test
    void eachVariantsGuardAlertCarriesTheStageVersion() {
        String flag = "staged-colours-" + UUID.randomUUID().toString().substring(0, 8);
        TestKafka.sendWindows(
                window(flag, Cohort.CONTROL, null, 0, 40, 12),
                window(flag, Cohort.TREATMENT, "blue", 0, 40, 12),
                window(flag, Cohort.TREATMENT, "green", 0, 800, 12));

        await().atMost(WAIT).until(() -> !guardAlertsOf(flag).isEmpty());
        AlertEvent alert = guardAlertsOf(flag).get(0);
        assertThat(alert.getVariant()).isEqualTo("green");
        assertThat(alert.getComparison().getStageVersion()).isEqualTo(12L);
        assertThat(comparisonInApi(flag)).containsEntry("stageVersion", 12);
    }
}
