package dev.rollguard.simulator.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollguard.cli.RollguardApi;
import dev.rollguard.schemas.event.MetricEvidence;
import dev.rollguard.schemas.event.RolloutAction;
import dev.rollguard.schemas.event.RolloutActionEvent;
import dev.rollguard.schemas.event.RolloutOutcome;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the scenario's result says about the promoter: the healthy flag's walk and the bad flags never advancing. */
class ClosedLoopResultTest {

    private static final Instant START = Instant.parse("2026-12-02T08:00:00Z");

    @Test
    void aWalkToTheLastStageThroughAppliedPromotionsOnTheirEvidenceIsAWalk() {
        List<RolloutActionEvent> steps = List.of(
                promote(ClosedLoopScenario.HEALTHY_FLAG, 0, "INCONCLUSIVE", RolloutOutcome.APPLIED),
                promote(ClosedLoopScenario.HEALTHY_FLAG, 1, "INCONCLUSIVE", RolloutOutcome.APPLIED),
                promote(ClosedLoopScenario.HEALTHY_FLAG, 2, "HEALTHY", RolloutOutcome.APPLIED));
        var result = result(steps, ClosedLoopScenario.LAST_STAGE, null);

        assertThat(result.healthyWalked()).isTrue();
        assertThat(result.healthyWalkedOnItsEvidence()).isTrue();
        assertThat(result.badNeverAdvanced()).isTrue();
    }

    @Test
    void aFlagStillOnTheWayHasNotWalked() {
        var result = result(
                List.of(promote(ClosedLoopScenario.HEALTHY_FLAG, 0, "INCONCLUSIVE", RolloutOutcome.APPLIED)),
                1,
                assessment("WAIT", "VERDICT"));

        assertThat(result.healthyWalked()).isFalse();
        assertThat(result.healthyWalkedOnItsEvidence()).isFalse();
    }

    @Test
    void aPromotionWithAMetricNotShownWithinItsStagesToleranceIsNotOnItsEvidence() {
        List<RolloutActionEvent> steps = new ArrayList<>(List.of(
                promote(ClosedLoopScenario.HEALTHY_FLAG, 0, "INCONCLUSIVE", RolloutOutcome.APPLIED),
                promote(ClosedLoopScenario.HEALTHY_FLAG, 1, "INCONCLUSIVE", RolloutOutcome.APPLIED),
                promote(ClosedLoopScenario.HEALTHY_FLAG, 2, "INCONCLUSIVE", RolloutOutcome.APPLIED)));
        RolloutActionEvent last = steps.get(2);
        last.getMetrics().get(1).setShownWithin(3.0);
        var result = result(steps, ClosedLoopScenario.LAST_STAGE, null);

        assertThat(result.healthyWalked()).isTrue();
        assertThat(result.healthyWalkedOnItsEvidence()).isFalse();
        // Without a tolerance the stage needs the guard's HEALTHY verdict.
        last.getMetrics().get(1).setShownWithin(0.1);
        last.setTolerancePercent(null);
        assertThat(result.healthyWalkedOnItsEvidence()).isFalse();
        last.setVerdict("HEALTHY");
        assertThat(result.healthyWalkedOnItsEvidence()).isTrue();
    }

    @Test
    void aBadFlagPromotedOrMovedHasAdvanced() {
        var promoted = result(
                List.of(promote(ClosedLoopScenario.BAD_FLAG, 1, "HEALTHY", RolloutOutcome.APPLIED)),
                0,
                assessment("WAIT", "VERDICT"));
        assertThat(promoted.badNeverAdvanced()).isFalse();

        var moved = result(List.of(), 0, assessment("WAIT", "VERDICT"), 2);
        assertThat(moved.badNeverAdvanced()).isFalse();
        assertThat(result(List.of(), 0, assessment("WAIT", "VERDICT"), 1).badNeverAdvanced())
                .isTrue();
    }

    @Test
    void theNarratorPrintsAPromotionWithItsEvidence() {
        RolloutActionEvent step = promote(ClosedLoopScenario.HEALTHY_FLAG, 1, "INCONCLUSIVE", RolloutOutcome.APPLIED);

        assertThat(Narrator.stageMove(step)).isEqualTo("'10%' (10 %) -> '50%' (50 %)");
        assertThat(Narrator.evidence(step))
                .isEqualTo("verdict INCONCLUSIVE at 99 % confidence, every metric shown within +100 %, clients 180"
                        + " treated / 1,620 control (100 needed), 21 s in stage (soak 15 s)");
        step.setTolerancePercent(null);
        assertThat(Narrator.evidence(step)).contains("1 of 2 metrics non-inferior");
    }

    @Test
    void everyEventSentIsCountedOnceOrDeadLetteredAsLate() {
        assertThat(telemetry(1_000, 1_000, 0).noTelemetryLost()).isTrue();
        assertThat(telemetry(1_000, 990, 10).noTelemetryLost()).isTrue();
        assertThat(telemetry(1_000, 990, 9).noTelemetryLost()).isFalse();
        assertThat(telemetry(1_000, 1_001, 0).noTelemetryLost()).isFalse();
        assertThat(telemetry(1_000, 990, 11).noTelemetryLost()).isFalse();
    }

    @Test
    void theSummarySaysHowManyEventsWereDeadLetteredAsLate() {
        var out = new java.io.ByteArrayOutputStream();
        new Narrator(new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8))
                .summary(telemetry(1_000, 990, 10));
        assertThat(out.toString(java.nio.charset.StandardCharsets.UTF_8))
                .contains("1,000 events sent in ")
                .contains("990 counted in the windows, 10 dead-lettered as late (telemetry.dlq, code LATE")
                .contains(": nothing lost or double counted");
    }

    private static ClosedLoopScenario.Result result(
            List<RolloutActionEvent> rollouts, int healthyStage, JsonNode assessment) {
        return result(rollouts, healthyStage, assessment, 1);
    }

    private static ClosedLoopScenario.Result result(
            List<RolloutActionEvent> rollouts, int healthyStage, JsonNode assessment, int badStage) {
        Map<String, JsonNode> flags = new LinkedHashMap<>();
        Map<String, Integer> atBreach = new LinkedHashMap<>();
        for (String key : ClosedLoopScenario.FLAGS) {
            ObjectNode flag = RollguardApi.JSON.createObjectNode().put("key", key);
            flag.put("killed", false);
            flags.put(key, flag);
        }
        ((ObjectNode) flags.get(ClosedLoopScenario.HEALTHY_FLAG)).put("currentStage", healthyStage);
        for (ClosedLoopScenario.BadRollout bad : ClosedLoopScenario.BAD_ROLLOUTS) {
            ((ObjectNode) flags.get(bad.flag())).put("killed", true).put("currentStage", badStage);
            atBreach.put(bad.flag(), 1);
        }
        return new ClosedLoopScenario.Result(
                START,
                Map.of(),
                Map.of(),
                atBreach,
                List.of(),
                rollouts,
                healthyStage == ClosedLoopScenario.LAST_STAGE ? START.plusSeconds(200) : null,
                assessment,
                List.of(),
                flags,
                null,
                0,
                0,
                0,
                START,
                START,
                0);
    }

    private static ClosedLoopScenario.Result telemetry(long sent, long counted, long late) {
        var r = result(List.of(), ClosedLoopScenario.LAST_STAGE, null);
        return new ClosedLoopScenario.Result(
                r.started(),
                r.breaches(),
                r.kills(),
                r.stagesAtBreach(),
                r.rollbacks(),
                r.rollouts(),
                r.walked(),
                r.healthyAssessment(),
                r.alerts(),
                r.flags(),
                r.silentGuard(),
                sent,
                counted,
                late,
                START,
                START.plusSeconds(300),
                0);
    }

    private static JsonNode assessment(String decision, String... waits) {
        ObjectNode a = RollguardApi.JSON
                .createObjectNode()
                .put("flagKey", ClosedLoopScenario.HEALTHY_FLAG)
                .put("phase", decision.equals("STOPPED") ? "KILLED" : "PROGRESSING")
                .put("decision", decision);
        var array = a.putArray("waitingFor");
        for (String w : waits) {
            array.add(w);
        }
        return a;
    }

    private static RolloutActionEvent promote(String flag, int from, String verdict, RolloutOutcome outcome) {
        ClosedLoopScenario.Stage stage = ClosedLoopScenario.PLAN.get(from);
        ClosedLoopScenario.Stage next = ClosedLoopScenario.PLAN.get(from + 1);
        List<MetricEvidence> metrics = new ArrayList<>();
        metrics.add(MetricEvidence.newBuilder()
                .setMetric("failure")
                .setStatus("NON_INFERIOR")
                .setTreatedClients(180)
                .setControlClients(1620)
                .setShownWithin(0.12)
                .build());
        metrics.add(MetricEvidence.newBuilder()
                .setMetric("syncDurationP95")
                .setStatus("INCONCLUSIVE")
                .setTreatedClients(150)
                .setControlClients(1400)
                .setShownWithin(stage.tolerancePercent() / 100.0)
                .build());
        return RolloutActionEvent.newBuilder()
                .setActionId(flag + ":" + (from + 1) + ":PROMOTE:" + (from + 1))
                .setFlagKey(flag)
                .setAction(RolloutAction.PROMOTE)
                .setOutcome(outcome)
                .setReason("Automatic PROMOTE by Rollguard")
                .setFromStage(from)
                .setFromStageName(stage.name())
                .setFromPercentage((double) stage.percentage())
                .setToStage(from + 1)
                .setToStageName(next.name())
                .setToPercentage((double) next.percentage())
                .setStageVersion(from + 1)
                .setMinSoakSeconds(stage.minSoakSeconds())
                .setSecondsInStage(21)
                .setMinClientsPerCohort(stage.minClientsPerCohort())
                .setTreatedClients(180)
                .setControlClients(1620)
                .setVerdict(verdict)
                .setTolerancePercent(stage.tolerancePercent())
                .setConfidence(0.99)
                .setMetrics(metrics)
                .setDecidedAt(START.plusSeconds(30L * (from + 1)))
                .build();
    }
}
