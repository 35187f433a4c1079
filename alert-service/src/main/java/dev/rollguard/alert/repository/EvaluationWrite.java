package dev.rollguard.alert.repository;

import java.util.List;
import java.util.Map;

/**
 * Everything one evaluated batch of windows changes, written in one transaction so that the consumer position and
 * the state it led to never disagree.
 *
 * @param states rule states to store (rule id, scope key, JSON)
 * @param idleStates rule states to forget (rule id, scope key)
 * @param alerts alert transitions, in order, with their webhook deliveries
 * @param cohortWindows cohort windows left waiting for their counterpart
 * @param pairedCohortWindows stored cohort windows whose counterpart arrived
 * @param positions next offset to evaluate per partition
 * @param guardStages the guard's evidence of the flags whose stage changed (a null evidence deletes the row)
 */
public record EvaluationWrite(
        List<StateRow> states,
        List<StateRow> idleStates,
        List<PendingAlert> alerts,
        List<CohortWindowRow> cohortWindows,
        List<CohortWindowRow> pairedCohortWindows,
        String topic,
        Map<Integer, Long> positions,
        List<GuardStageRow> guardStages) {

    /** The guard's evidence and latest verdict (JSON) of one flag's stage; {@code evidence} null for a deletion. */
    public record GuardStageRow(String flagKey, long stageVersion, String evidence, String verdict) {}

    /** A rule state row; {@code json} is null for a deletion. */
    public record StateRow(String ruleId, String scopeKey, String json) {}

    /** A cohort window row; {@code payload} is null for a deletion. */
    public record CohortWindowRow(
            String flagKey, String windowKind, long windowStart, long windowEnd, String cohort, byte[] payload) {}

    public boolean touchesNothingButPositions() {
        return states.isEmpty()
                && idleStates.isEmpty()
                && alerts.isEmpty()
                && cohortWindows.isEmpty()
                && pairedCohortWindows.isEmpty()
                && guardStages.isEmpty();
    }
}
