package dev.rollguard.rollback.domain;

import java.time.Instant;
import java.util.List;

/**
 * The promoter's latest view of a flag on its rollout plan: what it decided and, when it waits, for what. Served by
 * {@code GET /api/promotions}.
 *
 * @param promotion AUTO or MANUAL, the current stage's mode; null off the plan
 * @param waitingFor what keeps an auto stage from advancing now
 * @param reasons one line per thing waited for, or why the promoter acts or stands aside
 * @param deadline when the stage must have reached its minimums (with the extension once extended)
 * @param expectedPromotionAt when the stage is expected to advance if nothing else changes: the end of the soak when
 *     only the soak is left; null when it depends on evidence still to come
 */
public record Assessment(
        String flagKey,
        String phase,
        String promotion,
        Integer stage,
        String stageName,
        Double percentage,
        Integer nextStage,
        String nextStageName,
        Double nextPercentage,
        Long stageVersion,
        Instant stageEnteredAt,
        Decision decision,
        List<Wait> waitingFor,
        List<String> reasons,
        Long soakRemainingSeconds,
        long minClientsPerCohort,
        long treatedClients,
        long controlClients,
        String verdict,
        Double confidence,
        List<GuardReading.Metric> metrics,
        Instant deadline,
        boolean extended,
        Instant expectedPromotionAt,
        Instant assessedAt) {

    /** What the promoter does about a flag. */
    public enum Decision {
        /** To the next stage now: the evidence says healthy. */
        PROMOTE,
        /** Nothing yet: see waitingFor. */
        WAIT,
        /** The stage missed its minimums by the deadline: it gets one extension. */
        EXTEND,
        /** It missed them again: pause the rollout. */
        HOLD,
        /** It missed them again and the plan says revert: back one stage. */
        REVERT,
        /** The stage is promoted by hand: the promoter only reports. */
        MANUAL,
        /** Not progressing (killed, paused, aborted, disabled, completed, not started): nothing to do. */
        STOPPED
    }

    /** What an auto stage waits for. */
    public enum Wait {
        /** Its minimum soak time. */
        SOAK,
        /** Its minimum number of clients in each cohort. */
        MIN_CLIENTS,
        /** A HEALTHY verdict of the guard on this stage (non-inferior on every guarded metric with data). */
        VERDICT,
        /** No rule pending or firing on the flag's scopes. */
        ALERTS,
        /** The guard calls the stage a regression: the guard acts on it; the promoter never advances it. */
        REGRESSION
    }

    public Assessment {
        waitingFor = List.copyOf(waitingFor);
        reasons = List.copyOf(reasons);
        metrics = metrics == null ? List.of() : List.copyOf(metrics);
    }

    /** Whether the decision changes the rollout (or, for EXTEND, records a step). */
    public boolean acts() {
        return decision == Decision.PROMOTE
                || decision == Decision.EXTEND
                || decision == Decision.HOLD
                || decision == Decision.REVERT;
    }
}
