package dev.rollguard.rollback.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.rollback.domain.Assessment;
import dev.rollguard.rollback.domain.Assessment.Decision;
import dev.rollguard.rollback.domain.Assessment.Wait;
import dev.rollguard.rollback.domain.GuardReading;
import dev.rollguard.rollback.domain.RolloutPlan;
import dev.rollguard.rollback.domain.StageHistory;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every reason the promoter promotes, waits, extends, holds, reverts, or stands aside. */
class PromotionDeciderTest {

    private static final Instant ENTERED = Instant.parse("2026-03-01T10:00:00Z");
    /** One hour of soak, 200 clients per cohort, a day to reach them, a day of extension. */
    private static final List<RolloutPlan.Stage> STAGES = List.of(
            new RolloutPlan.Stage("internal", 0, 0, 0, false, null),
            new RolloutPlan.Stage("10%", 10, 3600, 200, true, null),
            new RolloutPlan.Stage("50%", 50, 3600, 200, true, null),
            new RolloutPlan.Stage("100%", 100, 0, 0, false, null));

    private static final Instant SOAKED = ENTERED.plusSeconds(3600);
    private static final Instant PAST_DEADLINE = ENTERED.plusSeconds(86_400);
    private static final Instant PAST_EXTENSION = ENTERED.plusSeconds(2 * 86_400);

    @Test
    void aHealthySoakedStageWithItsMinimumsIsPromoted() {
        Assessment a = assess(plan(1), healthy(12, 420, 3900), SOAKED);
        assertThat(a.decision()).isEqualTo(Decision.PROMOTE);
        assertThat(a.waitingFor()).isEmpty();
        assertThat(a.nextStageName()).isEqualTo("50%");
        assertThat(a.treatedClients()).isEqualTo(420);
        assertThat(a.controlClients()).isEqualTo(3900);
        assertThat(a.reasons().get(0))
                .contains("stage '10%' (10 %) is healthy")
                .contains("99 % confidence")
                .contains("420 treated / 3900 control clients, 200 needed")
                .contains("Next: '50%' (50 %)");
        assertThat(a.expectedPromotionAt()).isEqualTo(SOAKED);
    }

    @Test
    void aVerdictOnWindowsOlderThanTheEvidenceAgePromotesNothing() {
        GuardReading reading = healthy(12, 420, 3900);
        Duration maxAge = Duration.ofSeconds(150);
        Instant now = SOAKED.plusSeconds(200);
        // The newest window judged ended 100 s ago: recent enough.
        Assessment fresh = PromotionDecider.assess(
                plan(1), judgedAt(reading, now.minusSeconds(100)), null, StageHistory.NONE, now, maxAge);
        assertThat(fresh.decision()).isEqualTo(Decision.PROMOTE);
        // The windows run late: the newest judged ended 151 s ago, and the stage waits for the verdict to catch up.
        Assessment stale = PromotionDecider.assess(
                plan(1), judgedAt(reading, now.minusSeconds(151)), null, StageHistory.NONE, now, maxAge);
        assertThat(stale.decision()).isEqualTo(Decision.WAIT);
        assertThat(stale.waitingFor()).containsExactly(Wait.VERDICT);
        assertThat(stale.reasons())
                .anyMatch(r -> r.contains("guard evidence 2 min 31 s old") && r.contains("at most 2 min 30 s"));
        // A verdict that names no window is no evidence of the present either.
        assertThat(PromotionDecider.assess(plan(1), judgedAt(reading, null), null, StageHistory.NONE, SOAKED, maxAge)
                        .decision())
                .isEqualTo(Decision.WAIT);
    }

    @Test
    void aVerdictOnWindowsBeforeTheSoaksEndPromotesNothing() {
        // A regression that began in the soak's last seconds shows only in windows not judged yet: the verdict on the
        // windows before it still reads healthy, so the stage waits until the windows up to the soak's end are judged.
        Instant now = SOAKED.plusSeconds(9);
        Assessment early = assess(plan(1), judgedAt(healthy(12, 420, 3900), SOAKED.minusSeconds(5)), now);
        assertThat(early.decision()).isEqualTo(Decision.WAIT);
        assertThat(early.waitingFor()).containsExactly(Wait.VERDICT);
        assertThat(early.reasons())
                .contains("guard evidence: windows judged up to 2026-03-01T10:59:55Z, the soak ended"
                        + " 2026-03-01T11:00:00Z: waiting for the windows up to its end to be judged");
        // The window ending with the soak judged healthy: the whole soak was observed.
        assertThat(assess(plan(1), judgedAt(healthy(12, 420, 3900), SOAKED), now)
                        .decision())
                .isEqualTo(Decision.PROMOTE);
        // A regression judged meanwhile is the guard's to act on; the promoter only holds.
        assertThat(assess(
                                plan(1),
                                judgedAt(reading(12, "REGRESSION", 420, 3900, List.of()), SOAKED.minusSeconds(5)),
                                now)
                        .waitingFor())
                .containsExactly(Wait.REGRESSION);
    }

    private static GuardReading judgedAt(GuardReading r, Instant judgedAt) {
        return new GuardReading(
                r.flagKey(),
                r.stageVersion(),
                r.status(),
                r.summary(),
                r.confidence(),
                judgedAt,
                r.metrics(),
                r.alerts());
    }

    @Test
    void aStageStillSoakingWaitsAndSaysWhenItIsExpectedToAdvance() {
        Instant now = ENTERED.plusSeconds(3600 - 250);
        Assessment a = assess(plan(1), healthy(12, 420, 3900), now);
        assertThat(a.decision()).isEqualTo(Decision.WAIT);
        assertThat(a.waitingFor()).containsExactly(Wait.SOAK);
        assertThat(a.soakRemainingSeconds()).isEqualTo(250);
        assertThat(a.reasons().get(0)).contains("4 min 10 s left");
        assertThat(a.expectedPromotionAt()).isEqualTo(SOAKED);
    }

    @Test
    void aStageShortOfClientsInEitherCohortWaits() {
        Assessment fewTreated = assess(plan(1), healthy(12, 120, 3900), SOAKED);
        assertThat(fewTreated.decision()).isEqualTo(Decision.WAIT);
        assertThat(fewTreated.waitingFor()).containsExactly(Wait.MIN_CLIENTS);
        assertThat(fewTreated.reasons().get(0)).isEqualTo("clients: 120 treated, 3900 control; 200 needed in each");
        assertThat(fewTreated.expectedPromotionAt()).isNull();

        Assessment fewControl = assess(plan(1), healthy(12, 420, 199), SOAKED);
        assertThat(fewControl.waitingFor()).containsExactly(Wait.MIN_CLIENTS);
    }

    @Test
    void anInconclusiveVerdictIsNotEnough() {
        GuardReading inconclusive = reading(12, "INCONCLUSIVE", 420, 3900, List.of());
        Assessment a = assess(plan(1), inconclusive, SOAKED);
        assertThat(a.decision()).isEqualTo(Decision.WAIT);
        assertThat(a.waitingFor()).containsExactly(Wait.VERDICT);
        assertThat(a.reasons().get(0)).contains("INCONCLUSIVE").contains("not yet shown non-inferior");
        assertThat(a.reasons()).noneMatch(r -> r.startsWith("held back by"));
    }

    @Test
    void anInconclusiveVerdictNamesTheMetricFurthestFromNonInferiority() {
        GuardReading inconclusive = inconclusive(0.73);
        Assessment a = assess(plan(1), inconclusive, SOAKED);
        assertThat(a.decision()).isEqualTo(Decision.WAIT);
        assertThat(a.reasons())
                .contains("held back by sync-duration: non-inferiority p = 0.216, at most 0.01 needed (410 treated /"
                        + " 3850 control clients)");
    }

    @Test
    void aStageWithATolerancePromotesWhenEveryReportedMetricIsShownWithinIt() {
        RolloutPlan tolerant = withStages(
                plan(1),
                List.of(
                        new RolloutPlan.Stage("internal", 0, 0, 0, false, null),
                        new RolloutPlan.Stage("10%", 10, 3600, 200, true, 50),
                        new RolloutPlan.Stage("100%", 100, 0, 0, false, null)));
        GuardReading within = inconclusive(0.42);
        Assessment a = assess(tolerant, within, SOAKED);
        assertThat(a.decision()).isEqualTo(Decision.PROMOTE);
        assertThat(a.reasons().get(0))
                .contains("stage '10%' (10 %) is healthy: no guarded metric more than 50 % worse than control with 99 %"
                        + " confidence");

        // One metric shown only within +73 %: the stage waits, naming it.
        Assessment wide = assess(tolerant, inconclusive(0.73), SOAKED);
        assertThat(wide.decision()).isEqualTo(Decision.WAIT);
        assertThat(wide.waitingFor()).containsExactly(Wait.VERDICT);
        assertThat(wide.reasons().get(0)).contains("not yet shown within +50 % of control on every guarded metric");
        assertThat(wide.reasons())
                .contains("held back by sync-duration: shown within +73 %, +50 % needed (410 treated / 3850 control"
                        + " clients)");
        // Not shown within any tolerance, short of data, or a regression: never promoted.
        assertThat(assess(tolerant, inconclusive(null), SOAKED).reasons())
                .contains("held back by sync-duration: not yet shown within any tolerance, +50 % needed (410 treated /"
                        + " 3850 control clients)");
        for (String status : List.of("INSUFFICIENT_DATA", "NO_DATA", "REGRESSION")) {
            GuardReading r = inconclusive(0.1);
            GuardReading other = new GuardReading(
                    r.flagKey(),
                    r.stageVersion(),
                    status,
                    r.summary(),
                    r.confidence(),
                    r.judgedAt(),
                    r.metrics(),
                    r.alerts());
            assertThat(assess(tolerant, other, SOAKED).decision()).as(status).isEqualTo(Decision.WAIT);
        }
        // The guard's own HEALTHY is not enough for a stricter stage tolerance.
        RolloutPlan strict = withStages(
                plan(1),
                List.of(
                        new RolloutPlan.Stage("internal", 0, 0, 0, false, null),
                        new RolloutPlan.Stage("10%", 10, 3600, 200, true, 10),
                        new RolloutPlan.Stage("100%", 100, 0, 0, false, null)));
        assertThat(assess(strict, healthy(12, 420, 3900), SOAKED).decision()).isEqualTo(Decision.WAIT);
    }

    private static GuardReading inconclusive(Double syncDurationBound) {
        return new GuardReading(
                "checkout",
                12L,
                "INCONCLUSIVE",
                null,
                0.99,
                SOAKED,
                List.of(
                        new GuardReading.Metric(
                                "failure", "NON_INFERIOR", 0.011, 0.012, -0.08, -0.3, 0.2, 420, 3900, 0.004, 0.12),
                        new GuardReading.Metric(
                                "sync-duration",
                                "INCONCLUSIVE",
                                0.031,
                                0.030,
                                0.03,
                                -0.3,
                                0.4,
                                410,
                                3850,
                                0.2155,
                                syncDurationBound),
                        new GuardReading.Metric(
                                "upload-failure", "NO_DATA", null, null, null, null, null, 0, 0, 1.0, null)),
                List.of());
    }

    private static RolloutPlan withStages(RolloutPlan p, List<RolloutPlan.Stage> stages) {
        return new RolloutPlan(
                p.key(),
                p.enabled(),
                p.killed(),
                p.killReason(),
                p.archived(),
                stages,
                p.currentStage(),
                p.stageEnteredAt(),
                p.stageVersion(),
                p.paused(),
                p.pauseReason(),
                p.aborted(),
                p.abortReason(),
                p.minimums(),
                p.version());
    }

    @Test
    void aVerdictOfAnEarlierStageSaysNothingAboutThisOne() {
        Assessment a = assess(plan(1), healthy(11, 420, 3900), SOAKED);
        assertThat(a.decision()).isEqualTo(Decision.WAIT);
        assertThat(a.waitingFor()).containsExactly(Wait.MIN_CLIENTS, Wait.VERDICT);
        assertThat(a.verdict()).isNull();
        assertThat(a.reasons()).contains("no guard verdict on this stage yet");
    }

    @Test
    void aVerdictRestartedWithinTheStageCounts() {
        // An allow-list edit within the stage restarts the guard's evidence at a later version: still this stage.
        assertThat(assess(plan(1), healthy(13, 420, 3900), SOAKED).decision()).isEqualTo(Decision.PROMOTE);
    }

    @Test
    void noVerdictAtAllWaits() {
        Assessment a = assess(plan(1), null, SOAKED);
        assertThat(a.waitingFor()).containsExactly(Wait.MIN_CLIENTS, Wait.VERDICT);
    }

    @Test
    void aPendingOrFiringAlertOnTheFlagHoldsPromotion() {
        GuardReading withAlert = reading(
                12,
                "HEALTHY",
                420,
                3900,
                List.of(new GuardReading.ActiveAlert(
                        "upload-failures",
                        "Upload failures",
                        "flag:checkout:treatment",
                        "TREATMENT",
                        "WARNING",
                        "PENDING")));
        Assessment a = assess(plan(1), withAlert, SOAKED);
        assertThat(a.decision()).isEqualTo(Decision.WAIT);
        assertThat(a.waitingFor()).containsExactly(Wait.ALERTS);
        assertThat(a.reasons().get(0)).isEqualTo("alert pending: 'Upload failures' WARNING on flag:checkout:treatment");
    }

    @Test
    void aRegressionIsNeverPromotedAndNeverHeldByThePromoter() {
        GuardReading regression = reading(12, "REGRESSION", 420, 3900, List.of());
        Assessment a = assess(plan(1), regression, PAST_EXTENSION, new StageHistory(true, false));
        assertThat(a.decision()).isEqualTo(Decision.WAIT);
        assertThat(a.waitingFor()).containsExactly(Wait.REGRESSION);
    }

    @Test
    void theVerdictsBeingUnavailableWaitsWithoutCountingAgainstTheDeadline() {
        Assessment a = PromotionDecider.assess(
                plan(1), null, "alert-service unreachable", StageHistory.NONE, PAST_EXTENSION, null);
        assertThat(a.decision()).isEqualTo(Decision.WAIT);
        assertThat(a.waitingFor()).contains(Wait.VERDICT);
        assertThat(a.reasons()).anyMatch(r -> r.contains("guard verdicts unavailable: alert-service unreachable"));
    }

    @Test
    void aStageShortOfEvidenceAtItsDeadlineIsExtendedOnce() {
        Assessment a = assess(plan(1), healthy(12, 120, 3900), PAST_DEADLINE);
        assertThat(a.decision()).isEqualTo(Decision.EXTEND);
        assertThat(a.extended()).isTrue();
        assertThat(a.deadline()).isEqualTo(PAST_EXTENSION);
        assertThat(a.reasons().get(0))
                .contains("missed its minimums by " + PAST_DEADLINE)
                .contains("until " + PAST_EXTENSION);

        Assessment before = assess(plan(1), healthy(12, 120, 3900), PAST_DEADLINE.minusSeconds(1));
        assertThat(before.decision()).isEqualTo(Decision.WAIT);
        assertThat(before.deadline()).isEqualTo(PAST_DEADLINE);
    }

    @Test
    void anExtendedStageWaitsUntilTheEndOfItsExtension() {
        Assessment a =
                assess(plan(1), healthy(12, 120, 3900), PAST_EXTENSION.minusSeconds(1), new StageHistory(true, false));
        assertThat(a.decision()).isEqualTo(Decision.WAIT);
        assertThat(a.deadline()).isEqualTo(PAST_EXTENSION);
    }

    @Test
    void anExtendedStageStillShortIsHeldByDefault() {
        Assessment a = assess(plan(1), healthy(12, 120, 3900), PAST_EXTENSION, new StageHistory(true, false));
        assertThat(a.decision()).isEqualTo(Decision.HOLD);
        assertThat(a.reasons().get(0)).contains("still missed its minimums").contains("held at 10 %");
    }

    @Test
    void anExtendedStageStillShortIsRevertedWhenThePlanSaysSo() {
        RolloutPlan plan = plan(2, new RolloutPlan.Minimums(86_400, 86_400, true));
        Assessment a = assess(plan, healthy(12, 120, 3900), PAST_EXTENSION, new StageHistory(true, false));
        assertThat(a.decision()).isEqualTo(Decision.REVERT);
        assertThat(a.reasons().get(0)).contains("back to '10%' (10 %)");
    }

    @Test
    void theFirstStageHasNothingToRevertToAndIsHeld() {
        List<RolloutPlan.Stage> autoFirst = List.of(
                new RolloutPlan.Stage("5%", 5, 0, 200, true, null),
                new RolloutPlan.Stage("100%", 100, 0, 0, false, null));
        RolloutPlan plan = new RolloutPlan(
                "checkout",
                true,
                false,
                null,
                false,
                autoFirst,
                0,
                ENTERED,
                12L,
                false,
                null,
                false,
                null,
                new RolloutPlan.Minimums(60, 0, true),
                12);
        Assessment a = assess(plan, healthy(12, 10, 3900), ENTERED.plusSeconds(60), StageHistory.NONE);
        assertThat(a.decision()).isEqualTo(Decision.HOLD);
        assertThat(a.reasons().get(0)).contains("no earlier stage to revert to");
    }

    @Test
    void withoutAnExtensionTheStageIsHeldAtItsDeadline() {
        RolloutPlan plan = plan(1, new RolloutPlan.Minimums(86_400, 0, false));
        assertThat(assess(plan, healthy(12, 120, 3900), PAST_DEADLINE).decision())
                .isEqualTo(Decision.HOLD);
    }

    @Test
    void theDeadlineNeverFallsBeforeTheSoakEnds() {
        RolloutPlan plan = plan(1, new RolloutPlan.Minimums(60, 60, false));
        Assessment a = assess(plan, healthy(12, 120, 3900), ENTERED.plusSeconds(3599));
        assertThat(a.decision()).isEqualTo(Decision.WAIT);
        assertThat(a.deadline()).isEqualTo(SOAKED);
    }

    @Test
    void afterAHoldAndAResumeTheStageWaitsWithoutADeadline() {
        Assessment a = assess(plan(1), healthy(12, 120, 3900), PAST_EXTENSION, new StageHistory(true, true));
        assertThat(a.decision()).isEqualTo(Decision.WAIT);
        assertThat(a.reasons()).anyMatch(r -> r.contains("without a deadline"));
        assertThat(assess(plan(1), healthy(12, 420, 3900), PAST_EXTENSION, new StageHistory(true, true))
                        .decision())
                .isEqualTo(Decision.PROMOTE);
    }

    @Test
    void aManualStageIsOnlyReported() {
        Assessment a = assess(plan(0), healthy(12, 420, 3900), SOAKED);
        assertThat(a.decision()).isEqualTo(Decision.MANUAL);
        assertThat(a.promotion()).isEqualTo("MANUAL");
        assertThat(a.reasons().get(0)).contains("stage 'internal' is promoted by hand");
    }

    @Test
    void stoppedRolloutsAreLeftAlone() {
        RolloutPlan base = plan(1);
        assertThat(stopped(with(base, true, false, false, false, true))).contains("killed (crash rate)");
        assertThat(stopped(with(base, false, true, false, false, true)))
                .contains("paused (by hand)")
                .contains("resume");
        assertThat(stopped(with(base, false, false, true, false, true))).contains("aborted");
        assertThat(stopped(with(base, false, false, false, true, true))).isEqualTo("archived");
        assertThat(stopped(with(base, false, false, false, false, false))).contains("disabled");
        assertThat(stopped(plan(3))).contains("completed");
        assertThat(stopped(plan(null))).contains("not on its plan yet");
    }

    @Test
    void durationsReadAsPeopleSayThem() {
        assertThat(PromotionDecider.duration(45)).isEqualTo("45 s");
        assertThat(PromotionDecider.duration(720)).isEqualTo("12 min");
        assertThat(PromotionDecider.duration(3 * 3600 + 300)).isEqualTo("3 h 5 min");
        assertThat(PromotionDecider.duration(2 * 86_400)).isEqualTo("2 d");
    }

    private static String stopped(RolloutPlan plan) {
        Assessment a = assess(plan, healthy(12, 420, 3900), SOAKED);
        assertThat(a.decision()).isEqualTo(Decision.STOPPED);
        return a.reasons().get(0);
    }

    private static Assessment assess(RolloutPlan plan, GuardReading guard, Instant now) {
        return assess(plan, guard, now, StageHistory.NONE);
    }

    private static Assessment assess(RolloutPlan plan, GuardReading guard, Instant now, StageHistory history) {
        return PromotionDecider.assess(plan, guard, null, history, now, null);
    }

    private static RolloutPlan plan(Integer stage) {
        return plan(stage, new RolloutPlan.Minimums(86_400, 86_400, false));
    }

    private static RolloutPlan plan(Integer stage, RolloutPlan.Minimums minimums) {
        return new RolloutPlan(
                "checkout",
                true,
                false,
                null,
                false,
                STAGES,
                stage,
                stage == null ? null : ENTERED,
                stage == null ? null : 12L,
                false,
                null,
                false,
                null,
                minimums,
                12);
    }

    private static RolloutPlan with(
            RolloutPlan p, boolean killed, boolean paused, boolean aborted, boolean archived, boolean enabled) {
        return new RolloutPlan(
                p.key(),
                enabled,
                killed,
                killed ? "crash rate" : null,
                archived,
                p.stages(),
                p.currentStage(),
                p.stageEnteredAt(),
                p.stageVersion(),
                paused,
                paused ? "by hand" : null,
                aborted,
                aborted ? "bad build" : null,
                p.minimums(),
                p.version());
    }

    private static GuardReading healthy(long stageVersion, long treated, long control) {
        return reading(stageVersion, "HEALTHY", treated, control, List.of());
    }

    private static GuardReading reading(
            long stageVersion, String status, long treated, long control, List<GuardReading.ActiveAlert> alerts) {
        return new GuardReading(
                "checkout",
                stageVersion,
                status,
                null,
                0.99,
                SOAKED,
                List.of(
                        new GuardReading.Metric(
                                "failure",
                                "NON_INFERIOR",
                                0.011,
                                0.012,
                                -0.08,
                                -0.3,
                                0.2,
                                treated,
                                control,
                                0.004,
                                0.12),
                        new GuardReading.Metric(
                                "upload-failure", "NO_DATA", null, null, null, null, null, 0, 0, 1.0, null)),
                alerts);
    }
}
