package dev.rollguard.flag.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollguard.flag.domain.FlagEntity;
import dev.rollguard.flag.domain.Promotion;
import dev.rollguard.flag.domain.Stage;
import dev.rollguard.http.error.ApiException;
import dev.rollguard.schemas.event.FlagChangeType;
import java.time.Instant;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/** Every accepted rollout control and every refusal, on the stored flag alone. */
class RolloutControlsTest {

    private static final Instant ENTERED = Instant.parse("2026-01-01T10:00:00Z");
    private static final List<Stage> PLAN = List.of(
            new Stage("internal", 0, 0, 0, Promotion.MANUAL, null),
            new Stage("10%", 1000, 3600, 100, Promotion.AUTO, null),
            new Stage("50%", 5000, 3600, 100, Promotion.AUTO, null),
            new Stage("100%", 10000, 0, 0, Promotion.MANUAL, null));

    @Test
    void promoteEntersTheFirstStageOfAFlagNotOnItsPlanYet() {
        FlagEntity flag = flag(null);
        RolloutControls.Transition t = RolloutControls.promote(flag, PLAN, false, null, false, ENTERED);
        assertThat(t).isEqualTo(new RolloutControls.Transition("PROMOTE", FlagChangeType.STAGE_CHANGED, null, 0, true));
        assertThat(flag.currentStage).isZero();
        assertThat(flag.stageEnteredAt).isEqualTo(ENTERED);
    }

    @Test
    void promoteMovesToTheNextStageOnceTheSoakIsOver() {
        FlagEntity flag = flag(1);
        RolloutControls.Transition t =
                RolloutControls.promote(flag, PLAN, false, null, false, ENTERED.plusSeconds(3600));
        assertThat(t.fromStage()).isEqualTo(1);
        assertThat(t.toStage()).isEqualTo(2);
        assertThat(flag.rolloutBasisPoints).isEqualTo(5000);
        assertThat(flag.stageEnteredAt).isEqualTo(ENTERED.plusSeconds(3600));
    }

    @Test
    void promoteBeforeTheSoakIsRefusedUnlessTheOperatorSkipsIt() {
        FlagEntity flag = flag(1);
        refused(
                () -> RolloutControls.promote(flag, PLAN, false, null, false, ENTERED.plusSeconds(3599)),
                409,
                "SOAK_NOT_ELAPSED");
        assertThat(flag.currentStage).isEqualTo(1);
        assertThat(RolloutControls.promote(flag, PLAN, true, null, false, ENTERED.plusSeconds(10))
                        .toStage())
                .isEqualTo(2);
    }

    @Test
    void promoteRecordsTheVersionThatBeginsTheNewStage() {
        FlagEntity flag = flag(1);
        flag.version = 7;
        RolloutControls.promote(flag, PLAN, false, null, false, ENTERED.plusSeconds(3600));
        assertThat(flag.stageVersion).isEqualTo(8L);
    }

    @Test
    void aMoveDecidedOnAnyVersionWithinTheStageInForceIsMade() {
        FlagEntity flag = flag(2);
        flag.stageVersion = 5L;
        flag.version = 9;
        // the guard's evidence of the stage began at 7: the allow-list changed within the stage
        RolloutControls.Transition t = RolloutControls.move(flag, PLAN, "revert", null, 7L, ENTERED.plusSeconds(60));
        assertThat(t.toStage()).isEqualTo(1);

        FlagEntity later = flag(2);
        later.stageVersion = 5L;
        later.version = 9;
        refused(
                () -> RolloutControls.move(later, PLAN, "revert", null, 10L, ENTERED.plusSeconds(60)),
                409,
                "STAGE_CHANGED",
                "version 10",
                "at version 9");
        FlagEntity offPlan = flag(null);
        offPlan.version = 9;
        refused(
                () -> RolloutControls.move(offPlan, PLAN, "revert", null, 7L, ENTERED.plusSeconds(60)),
                409,
                "STAGE_CHANGED",
                "off its plan");
    }

    @Test
    void promoteOnEvidenceOfAnotherStageIsRefused() {
        FlagEntity flag = flag(1);
        flag.stageVersion = 5L;
        flag.version = 5;
        refused(
                () -> RolloutControls.promote(flag, PLAN, false, 4L, true, ENTERED.plusSeconds(3600)),
                409,
                "STAGE_CHANGED",
                "since version 4",
                "began at 5");
        assertThat(flag.currentStage).isEqualTo(1);
        assertThat(RolloutControls.promote(flag, PLAN, false, 5L, true, ENTERED.plusSeconds(3600))
                        .toStage())
                .isEqualTo(2);
    }

    @Test
    void theAutomaticPromoterMayOnlyPromoteAnAutoStage() {
        refused(
                () -> RolloutControls.promote(flag(0), PLAN, false, null, true, ENTERED),
                409,
                "MANUAL_STAGE",
                "'internal'",
                "by hand");
        refused(
                () -> RolloutControls.promote(flag(null), PLAN, false, null, true, ENTERED),
                409,
                "MANUAL_STAGE",
                "not on its plan");
        assertThat(RolloutControls.promote(flag(0), PLAN, false, null, false, ENTERED)
                        .toStage())
                .isEqualTo(1);
    }

    @Test
    void promoteIsRefusedForAKilledFlag() {
        FlagEntity flag = flag(1);
        flag.killed = true;
        flag.killReason = "crash rate";
        refused(() -> RolloutControls.promote(flag, PLAN, true, null, false, ENTERED), 409, "KILLED", "crash rate");
        assertThat(flag.currentStage).isEqualTo(1);
        assertThat(flag.rolloutBasisPoints).isEqualTo(1000);
    }

    @Test
    void promoteIsRefusedForAPausedFlag() {
        FlagEntity flag = flag(1);
        flag.paused = true;
        flag.pauseReason = "latency";
        refused(() -> RolloutControls.promote(flag, PLAN, true, null, false, ENTERED), 409, "PAUSED", "latency");
    }

    @Test
    void promoteIsRefusedForAnAbortedFlag() {
        FlagEntity flag = flag(1);
        RolloutControls.abort(flag, "bad build");
        refused(() -> RolloutControls.promote(flag, PLAN, true, null, false, ENTERED), 409, "ABORTED", "bad build");
        assertThat(flag.currentStage).isNull();
    }

    @Test
    void promoteIsRefusedAtTheLastStageAndWithoutAPlan() {
        refused(() -> RolloutControls.promote(flag(3), PLAN, true, null, false, ENTERED), 409, "LAST_STAGE", "100%");
        refused(() -> RolloutControls.promote(flag(null), List.of(), true, null, false, ENTERED), 409, "NO_STAGE");
    }

    @Test
    void pauseHoldsTheShareAndAPauseOfAPausedFlagChangesNothing() {
        FlagEntity flag = flag(1);
        RolloutControls.Transition t = RolloutControls.pause(flag, "looking at latency");
        assertThat(t).isEqualTo(new RolloutControls.Transition("PAUSE", FlagChangeType.PAUSED, 1, 1, true));
        assertThat(flag.paused).isTrue();
        assertThat(flag.pauseReason).isEqualTo("looking at latency");
        assertThat(flag.rolloutBasisPoints).isEqualTo(1000);
        assertThat(RolloutControls.pause(flag, "again")).isNull();
        assertThat(flag.pauseReason).isEqualTo("looking at latency");
    }

    @Test
    void resumeLiftsAPauseWithAReason() {
        FlagEntity flag = flag(1);
        RolloutControls.pause(flag, null);
        RolloutControls.Transition t = RolloutControls.resume(flag, "latency explained");
        assertThat(t).isEqualTo(new RolloutControls.Transition("RESUME", FlagChangeType.RESUMED, 1, 1, true));
        assertThat(flag.paused).isFalse();
        assertThat(flag.stageEnteredAt).isEqualTo(ENTERED);
    }

    @Test
    void resumeIsRefusedWithoutAReasonOrForAFlagNotPaused() {
        FlagEntity paused = flag(1);
        paused.paused = true;
        refused(() -> RolloutControls.resume(paused, null), 422, "REASON_REQUIRED");
        refused(() -> RolloutControls.resume(paused, "  "), 422, "REASON_REQUIRED");
        assertThat(paused.paused).isTrue();
        refused(() -> RolloutControls.resume(flag(1), "why not"), 409, "NOT_PAUSED");
    }

    @Test
    void abortTakesTheRolloutToZeroAndRemembersWhereItStopped() {
        FlagEntity flag = flag(2);
        RolloutControls.Transition t = RolloutControls.abort(flag, "checkout errors");
        assertThat(t).isEqualTo(new RolloutControls.Transition("ABORT", FlagChangeType.STAGE_CHANGED, 2, null, true));
        assertThat(flag.aborted).isTrue();
        assertThat(flag.abortReason).isEqualTo("checkout errors");
        assertThat(flag.abortedAtStage).isEqualTo(2);
        assertThat(flag.currentStage).isNull();
        assertThat(flag.rolloutBasisPoints).isZero();
    }

    @Test
    void abortIsRefusedWithoutAReasonTwiceOrOffThePlan() {
        refused(() -> RolloutControls.abort(flag(1), ""), 422, "REASON_REQUIRED");
        FlagEntity flag = flag(1);
        RolloutControls.abort(flag, "first");
        refused(() -> RolloutControls.abort(flag, "second"), 409, "ABORTED");
        refused(() -> RolloutControls.abort(flag(null), "why"), 409, "NOT_STARTED");
    }

    @Test
    void retryAfterAnAbortGoesBackToTheStageWhereItStoppedAndSoaksAgain() {
        FlagEntity flag = flag(2);
        RolloutControls.abort(flag, "bad build");
        flag.paused = true;
        Instant later = ENTERED.plusSeconds(7200);
        RolloutControls.Transition t = RolloutControls.retry(flag, PLAN, "fixed in 2.3.1", later);
        assertThat(t).isEqualTo(new RolloutControls.Transition("RETRY", FlagChangeType.STAGE_CHANGED, null, 2, true));
        assertThat(flag.aborted).isFalse();
        assertThat(flag.abortedAtStage).isNull();
        assertThat(flag.paused).isFalse();
        assertThat(flag.currentStage).isEqualTo(2);
        assertThat(flag.rolloutBasisPoints).isEqualTo(5000);
        assertThat(flag.stageEnteredAt).isEqualTo(later);
    }

    @Test
    void retryAfterAKillLiftsItAtTheSameStageAndSoaksAgain() {
        FlagEntity flag = flag(1);
        RolloutControls.kill(flag, "crash rate");
        Instant later = ENTERED.plusSeconds(60);
        RolloutControls.Transition t = RolloutControls.retry(flag, PLAN, "fixed", later);
        assertThat(t).isEqualTo(new RolloutControls.Transition("RETRY", FlagChangeType.UNKILLED, 1, 1, true));
        assertThat(flag.killed).isFalse();
        assertThat(flag.killReason).isNull();
        assertThat(flag.rolloutBasisPoints).isEqualTo(1000);
        assertThat(flag.stageEnteredAt).isEqualTo(later);
    }

    @Test
    void retryIsRefusedWithoutAReasonOrWhenNothingStopped() {
        FlagEntity killed = flag(1);
        killed.killed = true;
        refused(() -> RolloutControls.retry(killed, PLAN, null, ENTERED), 422, "REASON_REQUIRED");
        assertThat(killed.killed).isTrue();
        refused(() -> RolloutControls.retry(flag(1), PLAN, "why", ENTERED), 409, "NOTHING_TO_RETRY");
        FlagEntity aborted = flag(3);
        RolloutControls.abort(aborted, "x");
        refused(() -> RolloutControls.retry(aborted, PLAN.subList(0, 2), "plan shrank", ENTERED), 409, "NO_STAGE");
    }

    @Test
    void aKillOfAKilledFlagKeepsTheFirstReasonAndIsOnlyRecorded() {
        FlagEntity flag = flag(1);
        assertThat(RolloutControls.kill(flag, "first").changed()).isTrue();
        RolloutControls.Transition again = RolloutControls.kill(flag, "still bad");
        assertThat(again.changed()).isFalse();
        assertThat(again.action()).isEqualTo("KILL");
        assertThat(flag.killReason).isEqualTo("first");
    }

    @Test
    void revertAndSetMoveWithinThePlanButSetWaitsForARetryAfterAnAbort() {
        FlagEntity flag = flag(2);
        assertThat(RolloutControls.move(flag, PLAN, "revert", null, null, ENTERED)
                        .toStage())
                .isEqualTo(1);
        assertThat(RolloutControls.move(flag, PLAN, "set", 1, null, ENTERED)).isNull();
        refused(() -> RolloutControls.move(flag, PLAN, "set", 9, null, ENTERED), 409, "NO_STAGE");
        RolloutControls.abort(flag, "x");
        refused(() -> RolloutControls.move(flag, PLAN, "set", 0, null, ENTERED), 409, "ABORTED");
        refused(() -> RolloutControls.move(flag, PLAN, "revert", null, null, ENTERED), 409, "NO_STAGE");
    }

    private static FlagEntity flag(Integer stage) {
        FlagEntity flag = new FlagEntity();
        flag.key = "checkout";
        flag.enabled = true;
        flag.currentStage = stage;
        flag.rolloutBasisPoints = stage == null ? 0 : PLAN.get(stage).basisPoints();
        flag.stageEnteredAt = stage == null ? null : ENTERED;
        return flag;
    }

    private static void refused(ThrowingCallable control, int status, String code, String... mentions) {
        assertThatThrownBy(control).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.status()).isEqualTo(status);
            assertThat(e.code()).isEqualTo(code);
            for (String mention : mentions) {
                assertThat(e.getMessage()).contains(mention);
            }
        });
    }
}
