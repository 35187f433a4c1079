package dev.rollguard.alert.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;

import dev.rollguard.alert.domain.Fingerprints;
import dev.rollguard.alert.domain.Phase;
import dev.rollguard.alert.domain.RuleDefinition;
import dev.rollguard.alert.publisher.DeadLetterPublisher;
import dev.rollguard.alert.service.RuleBook;
import dev.rollguard.alert.service.RuleEvaluationService;
import dev.rollguard.alert.service.RuleService;
import dev.rollguard.alert.support.AlertTestResource;
import dev.rollguard.alert.support.Api;
import dev.rollguard.alert.support.Rules;
import dev.rollguard.alert.support.TestKafka;
import dev.rollguard.alert.support.Windows;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.AlertStatus;
import dev.rollguard.schemas.event.ClientMoment;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.FlagChangeType;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.FlagValueType;
import dev.rollguard.schemas.event.GuardAction;
import dev.rollguard.schemas.event.GuardPolicy;
import dev.rollguard.schemas.event.ScopeType;
import dev.rollguard.schemas.event.Severity;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import dev.rollguard.schemas.guard.GuardMetrics;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.vertx.VertxContextSupport;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

/** Windows into metrics.windows, alerts out of the alerts topic, the API and the dead-letter topic. */
@QuarkusTest
@QuarkusTestResource(AlertTestResource.class)
class AlertFlowTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    RuleEvaluationService evaluation;

    @Inject
    RuleService rules;

    @Inject
    RuleBook ruleBook;

    private static List<AlertEvent> alertsOf(String ruleId) {
        return TestKafka.alerts().stream()
                .map(ConsumerRecord::value)
                .filter(a -> a.getRuleId().equals(ruleId))
                .toList();
    }

    private void awaitEvaluated(String ruleId, String scopeKey, Instant windowEnd) {
        await().atMost(WAIT).until(() -> {
            RuleEvaluationService.Tracked tracked =
                    evaluation.state(ruleId, scopeKey).await().atMost(Duration.ofSeconds(5));
            return tracked != null && windowEnd.equals(tracked.state().lastWindowEnd());
        });
    }

    @Test
    void breachFiresOnceAfterForAndResolvesAfterKeepFiringFor() {
        String table = "t" + UUID.randomUUID().toString().substring(0, 8);
        String rule = "slow-" + table;
        Rules.slowTable(rule, table, 120, 120);
        Instant origin = Instant.parse("2026-02-01T10:00:00Z");
        String scopeKey = "table:" + table;

        WindowMetricsEvent w0 = Windows.table(table, origin, 0, 5000);
        TestKafka.sendWindows(w0);
        awaitEvaluated(rule, scopeKey, w0.getWindowEnd());
        assertThat(evaluation
                        .state(rule, scopeKey)
                        .await()
                        .indefinitely()
                        .state()
                        .critical()
                        .phase())
                .isEqualTo(Phase.PENDING);
        assertThat(alertsOf(rule)).isEmpty();

        WindowMetricsEvent w1 = Windows.table(table, origin, 1, 5000);
        TestKafka.sendWindows(w1);
        await().atMost(WAIT).until(() -> !alertsOf(rule).isEmpty());
        AlertEvent firing = alertsOf(rule).get(0);
        assertThat(firing.getStatus()).isEqualTo(AlertStatus.FIRING);
        assertThat(firing.getSeverity()).isEqualTo(Severity.CRITICAL);
        assertThat(firing.getFingerprint()).isEqualTo(Fingerprints.of(rule, scopeKey, Severity.CRITICAL));
        assertThat(firing.getScopeType()).isEqualTo(ScopeType.TABLE);
        assertThat(firing.getTable()).isEqualTo(table);
        assertThat(firing.getFlagKey()).isNull();
        assertThat(firing.getThreshold()).isEqualTo(1000.0);
        assertThat(firing.getObservedValue()).isEqualTo(5000.0);
        assertThat(firing.getSampleSize()).isEqualTo(100);
        assertThat(firing.getFirstBreachAt()).isEqualTo(origin);
        assertThat(firing.getFirstBreachEventTime()).isEqualTo(w0.getFirstEventTime());
        assertThat(firing.getWindowStart()).isEqualTo(w1.getWindowStart());
        assertThat(firing.getWindowEnd()).isEqualTo(w1.getWindowEnd());
        assertThat(firing.getWindowClosedAt()).isEqualTo(w1.getEmittedAt());
        assertThat(firing.getStartsAt()).isEqualTo(w1.getWindowEnd());
        assertThat(firing.getLabels()).containsEntry("severity", "critical").containsEntry("table", table);
        assertThat(firing.getAnnotations()).containsKeys("summary", "description", "runbook_url");

        // The breach goes on: never a second FIRING while firing.
        WindowMetricsEvent w4 = Windows.table(table, origin, 4, 7000);
        TestKafka.sendWindows(Windows.table(table, origin, 2, 6000), Windows.table(table, origin, 3, 6000), w4);
        awaitEvaluated(rule, scopeKey, w4.getWindowEnd());
        Api.admin()
                .queryParam("ruleId", rule)
                .when()
                .get("/api/alerts")
                .then()
                .statusCode(200)
                .body("$", hasSize(1))
                .body("[0].status", equalTo("FIRING"))
                .body("[0].alertId", equalTo(firing.getAlertId()));

        // Healthy for keep_firing_for (two one-minute windows): resolved once.
        WindowMetricsEvent w5 = Windows.table(table, origin, 5, 10);
        TestKafka.sendWindows(w5);
        awaitEvaluated(rule, scopeKey, w5.getWindowEnd());
        WindowMetricsEvent w6 = Windows.table(table, origin, 6, 10);
        TestKafka.sendWindows(w6);
        await().atMost(WAIT).until(() -> alertsOf(rule).size() == 2);
        AlertEvent resolved = alertsOf(rule).get(1);
        assertThat(resolved.getStatus()).isEqualTo(AlertStatus.RESOLVED);
        assertThat(resolved.getFingerprint()).isEqualTo(firing.getFingerprint());
        assertThat(resolved.getAlertId()).isNotEqualTo(firing.getAlertId());
        assertThat(resolved.getStartsAt()).isEqualTo(firing.getStartsAt());
        assertThat(resolved.getEndsAt()).isEqualTo(w6.getWindowEnd());

        Api.admin().queryParam("ruleId", rule).when().get("/api/alerts").then().body("$", hasSize(0));
        Api.reader()
                .queryParam("ruleId", rule)
                .queryParam("view", "history")
                .when()
                .get("/api/alerts")
                .then()
                .statusCode(200)
                .body("status", equalTo(List.of("RESOLVED", "FIRING")));
    }

    @Test
    void cohortRegressionBlamesTheFlagButAGlobalOutageDoesNot() {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String guilty = "new-sync-" + suffix;
        String innocent = "new-ui-" + suffix;
        Instant origin = Instant.parse("2026-02-02T10:00:00Z");

        // An outage hitting both cohorts of one flag, and a real regression in the treatment of another.
        // The guard compares each flag's treatment with its control on the evidence of the whole stage: the outage is
        // the same in both cohorts of one flag (nobody to blame), the other flag's treatment fails five times as often.
        for (int minute = 0; minute < 2; minute++) {
            TestKafka.sendWindows(
                    Windows.cohort(innocent, Cohort.TREATMENT, origin, minute, 1000, 400),
                    Windows.cohort(innocent, Cohort.CONTROL, origin, minute, 1000, 395),
                    Windows.cohort(guilty, Cohort.CONTROL, origin, minute, 1000, 20),
                    Windows.cohort(guilty, Cohort.TREATMENT, origin, minute, 1000, 100));
        }

        String rule = "guard";
        await().atMost(WAIT).until(() -> alertsOf(rule).stream().anyMatch(a -> guilty.equals(a.getFlagKey())));
        AlertEvent alert = alertsOf(rule).stream()
                .filter(a -> guilty.equals(a.getFlagKey()))
                .findFirst()
                .orElseThrow();
        assertThat(alert.getStatus()).isEqualTo(AlertStatus.FIRING);
        assertThat(alert.getSeverity()).isEqualTo(Severity.CRITICAL);
        assertThat(alert.getCohort()).isEqualTo(Cohort.TREATMENT);
        assertThat(alert.getScopeType()).isEqualTo(ScopeType.FLAG_COHORT);
        assertThat(alert.getComparison()).isNotNull();
        assertThat(alert.getMetric()).isEqualTo("failure");
        assertThat(alert.getComparison().getMethod()).contains("mixture");
        assertThat(alert.getComparison().getTreatmentValue())
                .isCloseTo(0.1, org.assertj.core.api.Assertions.within(1e-9));
        assertThat(alert.getComparison().getControlValue())
                .isCloseTo(0.02, org.assertj.core.api.Assertions.within(1e-9));
        assertThat(alert.getComparison().getTreatmentClients()).isEqualTo(100);
        assertThat(alert.getComparison().getControlClients()).isEqualTo(100);
        assertThat(alert.getComparison().getRelativeEffect())
                .isCloseTo(4.0, org.assertj.core.api.Assertions.within(1e-6));
        assertThat(alert.getComparison().getEffectLower()).isGreaterThan(0.2);
        assertThat(alert.getComparison().getEvidence()).isGreaterThanOrEqualTo(1.0);
        assertThat(alert.getComparison().getSummary()).contains("failure rate").contains("100 vs 100 clients");
        assertThat(alert.getFirstBreachAt())
                .as("called on the first window that holds the regression")
                .isEqualTo(origin);

        awaitEvaluated(rule, "flag:" + innocent + ":treatment", origin.plus(Windows.MINUTE.multipliedBy(2)));
        assertThat(alertsOf(rule)).noneMatch(a -> innocent.equals(a.getFlagKey()));

        // Counted under the flag, so dashboards can annotate that flag's charts.
        String metrics = io.restassured.RestAssured.get("/q/metrics").asString();
        assertThat(metrics.lines())
                .anyMatch(line -> line.startsWith("rollguard_alert_transitions_total{")
                        && line.contains("flag=\"" + guilty + "\"")
                        && line.contains("status=\"FIRING\""));

        // The guard's verdicts are readable: the guilty flag regressed on its failure rate, the other did not.
        Api.admin()
                .when()
                .get("/api/guard")
                .then()
                .statusCode(200)
                .body("find { it.flagKey == '" + guilty + "' }.status", org.hamcrest.Matchers.equalTo("REGRESSION"))
                .body("find { it.flagKey == '" + guilty + "' }.severity", org.hamcrest.Matchers.equalTo("CRITICAL"))
                .body(
                        "find { it.flagKey == '" + guilty
                                + "' }.metrics.find { it.metric == 'failure' }.treatedClients",
                        org.hamcrest.Matchers.equalTo(200))
                .body(
                        "find { it.flagKey == '" + innocent + "' }.status",
                        org.hamcrest.Matchers.not(org.hamcrest.Matchers.equalTo("REGRESSION")))
                // What holds an automatic promotion: the guard rule's critical level firing on the treated cohort.
                .body(
                        "find { it.flagKey == '" + guilty + "' }.alerts.find { it.severity == 'CRITICAL' }.phase",
                        org.hamcrest.Matchers.equalTo("FIRING"))
                .body(
                        "find { it.flagKey == '" + guilty + "' }.alerts.find { it.severity == 'CRITICAL' }.scopeKey",
                        org.hamcrest.Matchers.equalTo("flag:" + guilty + ":treatment"))
                .body(
                        "find { it.flagKey == '" + guilty + "' }.alerts.find { it.severity == 'CRITICAL' }.ruleId",
                        org.hamcrest.Matchers.equalTo(rule));

        Api.admin()
                .queryParam("flag", guilty)
                .when()
                .get("/api/guard")
                .then()
                .statusCode(200)
                .body("flagKey", org.hamcrest.Matchers.contains(guilty));
        Api.admin()
                .queryParam("flag", "never-judged-" + suffix)
                .when()
                .get("/api/guard")
                .then()
                .statusCode(200)
                .body("size()", org.hamcrest.Matchers.equalTo(0));

        // The rollback-service switched the flag off: its guard alert resolves, saying why.
        TestKafka.sendFlagChange(FlagChangedEvent.newBuilder()
                .setEventId(UUID.randomUUID().toString())
                .setFlagKey(guilty)
                .setVersion(2)
                .setChangeType(FlagChangeType.KILLED)
                .setChangedAt(Instant.now())
                .setActor("bootstrap-service")
                .setEnabled(true)
                .setKilled(true)
                .setKillReason("Automatic KILL by Rollguard")
                .setValueType(FlagValueType.BOOLEAN)
                .setTreatmentVariant("on")
                .setOffVariant("off")
                .setRolloutBasisPoints(1_000)
                .setGuardPolicy(new GuardPolicy(GuardAction.KILL, false, 300L))
                .build());
        await().atMost(WAIT).until(() -> alertsOf(rule).stream()
                .anyMatch(a -> guilty.equals(a.getFlagKey()) && a.getStatus() == AlertStatus.RESOLVED));
        AlertEvent resolved = alertsOf(rule).stream()
                .filter(a -> guilty.equals(a.getFlagKey()) && a.getStatus() == AlertStatus.RESOLVED)
                .findFirst()
                .orElseThrow();
        assertThat(resolved.getAnnotations().get("reason"))
                .contains("no longer under rollout")
                .contains("killed by bootstrap-service")
                .contains("Automatic KILL by Rollguard");

        // A window of the killed stage that closes late is over: it fires nothing. After a fix the flag is ramped
        // again (version 3, a new stage); a regression there is a new alert, not hidden behind a stale one.
        TestKafka.sendWindows(
                Windows.cohort(guilty, Cohort.CONTROL, origin, 2, 1000, 20),
                Windows.cohort(guilty, Cohort.TREATMENT, origin, 2, 1000, 100));
        TestKafka.sendFlagChange(FlagChangedEvent.newBuilder()
                .setEventId(UUID.randomUUID().toString())
                .setFlagKey(guilty)
                .setVersion(3)
                .setChangeType(FlagChangeType.UNKILLED)
                .setChangedAt(Instant.now())
                .setActor("operator")
                .setEnabled(true)
                .setKilled(false)
                .setReason("fixed in 4.2.1")
                .setValueType(FlagValueType.BOOLEAN)
                .setTreatmentVariant("on")
                .setOffVariant("off")
                .setRolloutBasisPoints(1_000)
                .setGuardPolicy(new GuardPolicy(GuardAction.KILL, false, 300L))
                .build());
        Instant again = origin.plus(Windows.MINUTE.multipliedBy(10));
        for (int minute = 0; minute < 2; minute++) {
            TestKafka.sendWindows(
                    stage(Windows.cohort(guilty, Cohort.CONTROL, again, minute, 1000, 20), 3),
                    stage(Windows.cohort(guilty, Cohort.TREATMENT, again, minute, 1000, 100), 3));
        }
        await().atMost(WAIT)
                .until(() -> alertsOf(rule).stream()
                                .filter(a -> guilty.equals(a.getFlagKey()))
                                .count()
                        >= 3);
        assertThat(alertsOf(rule).stream().filter(a -> guilty.equals(a.getFlagKey())))
                .extracting(AlertEvent::getStatus, AlertEvent::getFirstBreachAt)
                .as("fired, resolved by the kill, fired again on the new stage only")
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(AlertStatus.FIRING, origin),
                        org.assertj.core.groups.Tuple.tuple(AlertStatus.RESOLVED, origin),
                        org.assertj.core.groups.Tuple.tuple(AlertStatus.FIRING, again));
    }

    @Test
    void aGuardAlertResolvesWhenTheFlagIsRevertedToAnEarlierStageAndARegressionThereFiresAgain() {
        String flag = "reverted-" + UUID.randomUUID().toString().substring(0, 8);
        String rule = "guard";
        Instant origin = Instant.parse("2026-02-03T10:00:00Z");

        // Stage 2 (50 %) regresses: the guard fires.
        for (int minute = 0; minute < 2; minute++) {
            TestKafka.sendWindows(
                    stage(Windows.cohort(flag, Cohort.CONTROL, origin, minute, 1000, 20), 2),
                    stage(Windows.cohort(flag, Cohort.TREATMENT, origin, minute, 1000, 100), 2));
        }
        await().atMost(WAIT).until(() -> alertsOf(rule).stream().anyMatch(a -> flag.equals(a.getFlagKey())));

        // The rollback-service's REVERT_STAGE takes the flag back to 10 %: a new stage, still under rollout.
        TestKafka.sendFlagChange(FlagChangedEvent.newBuilder()
                .setEventId(UUID.randomUUID().toString())
                .setFlagKey(flag)
                .setVersion(3)
                .setChangeType(FlagChangeType.STAGE_CHANGED)
                .setChangedAt(Instant.now())
                .setActor("rollback-service")
                .setEnabled(true)
                .setKilled(false)
                .setReason("Automatic REVERT_STAGE by Rollguard")
                .setValueType(FlagValueType.BOOLEAN)
                .setTreatmentVariant("on")
                .setOffVariant("off")
                .setRolloutBasisPoints(1_000)
                .setGuardPolicy(new GuardPolicy(GuardAction.REVERT_STAGE, false, 300L))
                .build());

        // The 10 % stage is still bad: the alert of the 50 % stage resolves and the new stage's regression fires anew.
        Instant reverted = origin.plus(Windows.MINUTE.multipliedBy(5));
        for (int minute = 0; minute < 2; minute++) {
            TestKafka.sendWindows(
                    stage(Windows.cohort(flag, Cohort.CONTROL, reverted, minute, 1000, 20), 3),
                    stage(Windows.cohort(flag, Cohort.TREATMENT, reverted, minute, 1000, 100), 3));
        }
        await().atMost(WAIT)
                .until(() -> alertsOf(rule).stream()
                                .filter(a -> flag.equals(a.getFlagKey()))
                                .count()
                        >= 3);
        List<AlertEvent> alerts =
                alertsOf(rule).stream().filter(a -> flag.equals(a.getFlagKey())).toList();
        assertThat(alerts)
                .extracting(AlertEvent::getStatus, AlertEvent::getFirstBreachAt)
                .as("fired on the 50 % stage, resolved by the revert, fired again on the 10 % stage")
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(AlertStatus.FIRING, origin),
                        org.assertj.core.groups.Tuple.tuple(AlertStatus.RESOLVED, origin),
                        org.assertj.core.groups.Tuple.tuple(AlertStatus.FIRING, reverted));
        assertThat(alerts.get(1).getAnnotations().get("reason"))
                .contains("stage ended")
                .contains("stage version 3");
        assertThat(alerts.get(1).getEndsAt()).isAfterOrEqualTo(alerts.get(0).getStartsAt());
        assertThat(alerts.get(2).getSeverity()).isEqualTo(Severity.CRITICAL);
        assertThat(alerts.get(2).getStartsAt()).isAfter(alerts.get(0).getStartsAt());
        assertThat(alerts.get(2).getAlertId()).isNotEqualTo(alerts.get(0).getAlertId());
    }

    /** {@code window} with its client moments in the stage that began at flag version {@code stage}. */
    private static WindowMetricsEvent stage(WindowMetricsEvent window, long stage) {
        window.getClientMoments().forEach(m -> m.setStageVersion(stage));
        return window;
    }

    @Test
    void theGuardCatchesAMutationBacklogAndALatencyRegression() {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String backlog = "backlog-" + suffix;
        String slow = "slow-" + suffix;
        Instant origin = Instant.parse("2026-02-07T10:00:00Z");
        // Pending mutations: 10 reports per client; control clients hold 3 or 7 on average, treated ones 12 or 18.
        TestKafka.sendWindows(
                Windows.cohortWithMoments(
                        backlog,
                        Cohort.CONTROL,
                        origin,
                        0,
                        2000,
                        List.of(Windows.moment("pending-mutations", 200, 10, 30, 70))),
                Windows.cohortWithMoments(
                        backlog,
                        Cohort.TREATMENT,
                        origin,
                        0,
                        2000,
                        List.of(Windows.moment("pending-mutations", 200, 10, 120, 180))));
        // Sync durations: every control sync takes 800 ms, every treated one 2.4 s (x3): the ladder's rungs below a
        // cohort's duration count all its syncs as slow, the others none.
        List<ClientMoment> control = new java.util.ArrayList<>();
        List<ClientMoment> treatment = new java.util.ArrayList<>();
        for (int k = 0; k < GuardMetrics.RUNGS; k++) {
            double rung = GuardMetrics.SYNC_DURATION_LADDER_MS.get(k);
            String name = GuardMetrics.rung(GuardMetrics.SYNC_DURATION, k);
            control.add(Windows.moment(name, 200, 10, 800 > rung ? 10 : 0));
            treatment.add(Windows.moment(name, 200, 10, 2400 > rung ? 10 : 0));
        }
        TestKafka.sendWindows(
                Windows.cohortWithMoments(slow, Cohort.CONTROL, origin, 0, 2000, control),
                Windows.cohortWithMoments(slow, Cohort.TREATMENT, origin, 0, 2000, treatment));

        await().atMost(WAIT).until(() -> alertsOf("guard").stream()
                .map(AlertEvent::getFlagKey)
                .toList()
                .containsAll(List.of(backlog, slow)));
        AlertEvent backlogAlert = alertsOf("guard").stream()
                .filter(a -> backlog.equals(a.getFlagKey()))
                .findFirst()
                .orElseThrow();
        assertThat(backlogAlert.getSeverity()).isEqualTo(Severity.CRITICAL);
        assertThat(backlogAlert.getMetric()).isEqualTo("pending-mutations");
        assertThat(backlogAlert.getComparison().getTreatmentValue())
                .isCloseTo(15.0, org.assertj.core.api.Assertions.within(1e-9));
        assertThat(backlogAlert.getComparison().getControlValue())
                .isCloseTo(5.0, org.assertj.core.api.Assertions.within(1e-9));
        AlertEvent slowAlert = alertsOf("guard").stream()
                .filter(a -> slow.equals(a.getFlagKey()))
                .findFirst()
                .orElseThrow();
        assertThat(slowAlert.getMetric()).isEqualTo("sync-duration");
        assertThat(slowAlert.getComparison().getSummary())
                .contains("sync duration")
                .contains("p95");
    }

    @Test
    void aSilentTreatmentIsNoDataNeverAnAlert() {
        String flag = "silent-" + UUID.randomUUID().toString().substring(0, 8);
        Instant origin = Instant.parse("2026-02-06T10:00:00Z");
        for (int minute = 0; minute < 3; minute++) {
            WindowMetricsEvent control = Windows.cohort(flag, Cohort.CONTROL, origin, minute, 1000, 20);
            // The treated clients send nothing: metrics-ingest emits the expected cohort's empty window.
            WindowMetricsEvent treatment = Windows.cohort(flag, Cohort.TREATMENT, origin, minute, 1000, 20);
            treatment.setEventCount(0);
            treatment.setSuccessCount(0);
            treatment.setFailureCount(0);
            treatment.setErrorRate(null);
            treatment.setSuccessRate(null);
            treatment.setClientMoments(java.util.List.of());
            TestKafka.sendWindows(control, treatment);
        }
        awaitEvaluated("guard", "flag:" + flag + ":treatment", origin.plus(Windows.MINUTE.multipliedBy(3)));
        Api.admin()
                .when()
                .get("/api/guard")
                .then()
                .statusCode(200)
                .body("find { it.flagKey == '" + flag + "' }.status", org.hamcrest.Matchers.equalTo("NO_DATA"));
        assertThat(alertsOf("guard")).noneMatch(a -> flag.equals(a.getFlagKey()));
    }

    @Test
    void aRampingFlagWhoseClientsAllFellSilentIsNoData() {
        String flag = "hushed-" + UUID.randomUUID().toString().substring(0, 8);
        Instant origin = Instant.parse("2026-02-07T10:00:00Z");
        for (int minute = 0; minute < 2; minute++) {
            // Both cohorts' windows are the empty ones metrics-ingest emits for a flag under rollout: only a zero
            // moment says which stage they belong to.
            TestKafka.sendWindows(
                    silent(flag, Cohort.CONTROL, origin, minute), silent(flag, Cohort.TREATMENT, origin, minute));
        }
        awaitEvaluated("guard", "flag:" + flag + ":treatment", origin.plus(Windows.MINUTE.multipliedBy(2)));
        Api.admin()
                .queryParam("flag", flag)
                .when()
                .get("/api/guard")
                .then()
                .statusCode(200)
                .body("[0].status", org.hamcrest.Matchers.equalTo("NO_DATA"));
        assertThat(alertsOf("guard")).noneMatch(a -> flag.equals(a.getFlagKey()));
    }

    /** The empty window of a cohort of a flag under rollout (stage version 1) that sent nothing. */
    private static WindowMetricsEvent silent(String flag, Cohort cohort, Instant origin, int minute) {
        WindowMetricsEvent window = Windows.cohort(flag, cohort, origin, minute, 1000, 0);
        window.setEventCount(0);
        window.setSuccessCount(0);
        window.setFailureCount(0);
        window.setErrorRate(null);
        window.setSuccessRate(null);
        window.setClientMoments(java.util.List.of(Windows.moment("failure", 0, 0, 0)));
        return window;
    }

    @Test
    void deletingAFiringRuleResolvesItsAlert() {
        String table = "t" + UUID.randomUUID().toString().substring(0, 8);
        String rule = "deleted-" + table;
        Rules.slowTable(rule, table, 0, 600);
        TestKafka.sendWindows(Windows.table(table, Instant.parse("2026-02-04T10:00:00Z"), 0, 5000));
        await().atMost(WAIT).until(() -> alertsOf(rule).size() == 1);

        Api.admin().when().delete("/api/rules/" + rule).then().statusCode(204);

        await().atMost(WAIT).until(() -> alertsOf(rule).size() == 2);
        AlertEvent resolved = alertsOf(rule).get(1);
        assertThat(resolved.getStatus()).isEqualTo(AlertStatus.RESOLVED);
        assertThat(resolved.getAnnotations()).containsEntry("reason", "rule retired");
        Api.admin().queryParam("ruleId", rule).when().get("/api/alerts").then().body("$", hasSize(0));
    }

    @Test
    void aFiringLevelRemovedFromItsRuleResolvesAndAnAnnotationChangeKeepsTheAlert() {
        String table = "t" + UUID.randomUUID().toString().substring(0, 8);
        String rule = "changed-" + table;
        Rules.slowTable(rule, table, 0, 600);
        TestKafka.sendWindows(Windows.table(table, Instant.parse("2026-02-04T11:00:00Z"), 0, 5000));
        await().atMost(WAIT).until(() -> alertsOf(rule).size() == 1);
        assertThat(alertsOf(rule).get(0).getSeverity()).isEqualTo(Severity.CRITICAL);

        // A new runbook link only: the alert stays as it is.
        String levels = "\"warning\": {\"threshold\": 1000}";
        String body =
                """
                {"name": "Slow %s", "metric": "durationMaxMs", "comparator": "GT", %s,
                 "keepFiringForSeconds": 600, "minSampleSize": 10, "scope": {"types": ["TABLE"], "table": "%s"},
                 "annotations": {"runbook_url": "%s"}}""";
        Api.admin()
                .body(body.formatted(
                        table, "\"critical\": {\"threshold\": 1000}", table, "https://runbooks.example/new"))
                .when()
                .put("/api/rules/" + rule)
                .then()
                .statusCode(200);
        // The change is applied before the answer: the alert is still firing.
        Api.admin()
                .queryParam("ruleId", rule)
                .queryParam("severity", "CRITICAL")
                .when()
                .get("/api/alerts")
                .then()
                .body("$", hasSize(1));
        assertThat(alertsOf(rule)).hasSize(1);
        // The critical level removed: its alert resolves, with the rule's change as the reason.
        Api.admin()
                .body(body.formatted(table, levels, table, "https://runbooks.example/new"))
                .when()
                .put("/api/rules/" + rule)
                .then()
                .statusCode(200);

        await().atMost(WAIT).until(() -> alertsOf(rule).size() == 2);
        AlertEvent resolved = alertsOf(rule).get(1);
        assertThat(resolved.getStatus()).isEqualTo(AlertStatus.RESOLVED);
        assertThat(resolved.getSeverity()).isEqualTo(Severity.CRITICAL);
        assertThat(resolved.getAnnotations()).containsEntry("reason", "rule changed");
        Api.admin()
                .queryParam("ruleId", rule)
                .queryParam("severity", "CRITICAL")
                .when()
                .get("/api/alerts")
                .then()
                .body("$", hasSize(0));
    }

    @Test
    void aFormerDefinitionEndedByTwoSyncsResolvesOnceAndLeavesTheNewDefinitionsAlertFiring() throws Throwable {
        String table = "t" + UUID.randomUUID().toString().substring(0, 8);
        String rule = "resynced-" + table;
        Rules.slowTable(rule, table, 0, 600);
        Instant origin = Instant.parse("2026-02-04T12:00:00Z");
        TestKafka.sendWindows(Windows.table(table, origin, 0, 5000));
        await().atMost(WAIT).until(() -> alertsOf(rule).size() == 1);

        // The scheduled sync reads the rules before the update is stored and ends after it: it saw the threshold at
        // 1000.
        AtomicReference<Uni<Void>> scheduled = new AtomicReference<>();
        VertxContextSupport.subscribeAndAwait(() -> {
            scheduled.set(rules.sync());
            return Uni.createFrom().voidItem();
        });
        // The update's own sync ends the former definition's alert.
        Api.admin()
                .body(
                        """
                        {"name": "Slow %s", "metric": "durationMaxMs", "comparator": "GT",
                         "critical": {"threshold": 2000}, "forSeconds": 0, "keepFiringForSeconds": 600,
                         "minSampleSize": 10, "scope": {"types": ["TABLE"], "table": "%s"}}"""
                                .formatted(table, table))
                .when()
                .put("/api/rules/" + rule)
                .then()
                .statusCode(200);
        await().atMost(WAIT).until(() -> alertsOf(rule).size() == 2);
        // Still breaching, judged under the new definition: it fires again.
        TestKafka.sendWindows(Windows.table(table, origin, 1, 5000));
        await().atMost(WAIT).until(() -> alertsOf(rule).size() == 3);

        VertxContextSupport.subscribeAndAwait(scheduled::get);

        // One resolution of the former definition's alert; the new one's stays firing, never resolved nor fired again.
        List<String> history = Api.admin()
                .queryParam("ruleId", rule)
                .queryParam("view", "history")
                .when()
                .get("/api/alerts")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getList("status", String.class);
        assertThat(history).containsExactly("FIRING", "RESOLVED", "FIRING");
        assertThat(alertsOf(rule).get(1).getAnnotations()).containsEntry("reason", "rule changed");
        assertThat(alertsOf(rule).get(2).getThreshold()).isEqualTo(2000.0);
        Api.admin()
                .queryParam("ruleId", rule)
                .when()
                .get("/api/alerts")
                .then()
                .body("$", hasSize(1))
                .body("[0].threshold", equalTo(2000.0f));
    }

    @Test
    void aRuleDisabledAndEnabledAgainKeepsTheAlertItRaisedSinceWhenALateSyncRetiresIt() {
        String table = "t" + UUID.randomUUID().toString().substring(0, 8);
        String rule = "reenabled-" + table;
        Rules.slowTable(rule, table, 0, 600);
        Instant origin = Instant.parse("2026-02-04T13:00:00Z");
        TestKafka.sendWindows(Windows.table(table, origin, 0, 5000));
        await().atMost(WAIT).until(() -> alertsOf(rule).size() == 1);
        // The rule as a sync on another instance knows it, whose read finds it disabled.
        RuleDefinition known = ruleBook.rule(rule);

        String body =
                """
                {"name": "Slow %s", "metric": "durationMaxMs", "comparator": "GT", "critical": {"threshold": 1000},
                 "forSeconds": 0, "keepFiringForSeconds": 600, "minSampleSize": 10, "enabled": %s,
                 "scope": {"types": ["TABLE"], "table": "%s"}}""";
        Api.admin()
                .body(body.formatted(table, false, table))
                .when()
                .put("/api/rules/" + rule)
                .then()
                .statusCode(200);
        await().atMost(WAIT).until(() -> alertsOf(rule).size() == 2);
        // Enabled again within the sync interval; still breaching, it fires again.
        Api.admin()
                .body(body.formatted(table, true, table))
                .when()
                .put("/api/rules/" + rule)
                .then()
                .statusCode(200);
        TestKafka.sendWindows(Windows.table(table, origin, 1, 5000));
        await().atMost(WAIT).until(() -> alertsOf(rule).size() == 3);

        // That sync's retirement takes its turn on the evaluation lane only now: it ends what the rule raised before
        // it was disabled (nothing left), not the alert of the rule enabled again.
        assertThat(evaluation.retire(known).await().atMost(WAIT)).isZero();
        Api.admin().queryParam("ruleId", rule).when().get("/api/alerts").then().body("$", hasSize(1));
        assertThat(alertsOf(rule)).hasSize(3);
    }

    @Test
    void aScopeThatFallsSilentIsResolvedByItsNoDataPolicy() {
        String table = "t" + UUID.randomUUID().toString().substring(0, 8);
        String rule = "silent-" + table;
        String body =
                """
                {"id": "%s", "name": "Silent %s", "metric": "durationMaxMs", "comparator": "GT",
                 "critical": {"threshold": 1000}, "noDataPolicy": "RESOLVE",
                 "scope": {"types": ["TABLE"], "table": "%s"}}"""
                        .formatted(rule, table, table);
        Api.admin().body(body).when().post("/api/rules").then().statusCode(201);
        TestKafka.sendWindows(Windows.table(table, Instant.parse("2026-02-05T10:00:00Z"), 0, 5000));
        await().atMost(WAIT).until(() -> alertsOf(rule).size() == 1);

        // Not yet silent for no-data-after (10 minutes): nothing changes.
        assertThat(evaluation
                        .sweep(Instant.now().plus(Duration.ofMinutes(5)))
                        .await()
                        .atMost(WAIT))
                .isZero();
        assertThat(evaluation
                        .sweep(Instant.now().plus(Duration.ofMinutes(11)))
                        .await()
                        .atMost(WAIT))
                .isPositive();

        await().atMost(WAIT).until(() -> alertsOf(rule).size() == 2);
        AlertEvent resolved = alertsOf(rule).get(1);
        assertThat(resolved.getStatus()).isEqualTo(AlertStatus.RESOLVED);
        assertThat(resolved.getAnnotations()).containsEntry("reason", "no data");
        assertThat(resolved.getObservedValue()).isNull();
    }

    @Test
    void undecodableAndInvalidWindowsAreDeadLetteredWithTheirReason() {
        String key = "garbage-" + UUID.randomUUID();
        RecordMetadata garbage = TestKafka.sendRaw(key, "not a window".getBytes(StandardCharsets.UTF_8));
        String table = "t" + UUID.randomUUID().toString().substring(0, 8);
        WindowMetricsEvent backwards = Windows.table(table, Instant.parse("2026-02-03T10:00:00Z"), 0, 10);
        backwards.setWindowEnd(backwards.getWindowStart());
        TestKafka.sendWindows(backwards);

        await().atMost(WAIT)
                .until(() -> TestKafka.raw(DeadLetterPublisher.TOPIC).stream()
                                .filter(r -> key.equals(r.key()) || ("table:" + table).equals(r.key()))
                                .count()
                        == 2);
        var deadLetters = TestKafka.raw(DeadLetterPublisher.TOPIC);
        ConsumerRecord<String, byte[]> undecodable = deadLetters.stream()
                .filter(r -> key.equals(r.key()))
                .findFirst()
                .orElseThrow();
        assertThat(new String(undecodable.value(), StandardCharsets.UTF_8)).isEqualTo("not a window");
        assertThat(header(undecodable, DeadLetterPublisher.REASON)).contains("cannot decode");
        assertThat(header(undecodable, DeadLetterPublisher.SOURCE_OFFSET)).isEqualTo(Long.toString(garbage.offset()));
        assertThat(header(undecodable, DeadLetterPublisher.SOURCE_PARTITION))
                .isEqualTo(Integer.toString(garbage.partition()));
        ConsumerRecord<String, byte[]> invalid = deadLetters.stream()
                .filter(r -> ("table:" + table).equals(r.key()))
                .findFirst()
                .orElseThrow();
        assertThat(header(invalid, DeadLetterPublisher.REASON)).contains("windowEnd");
    }

    private static String header(ConsumerRecord<String, byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
