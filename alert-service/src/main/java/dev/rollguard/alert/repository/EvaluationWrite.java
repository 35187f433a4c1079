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
 */
public record EvaluationWrite(
        List<StateRow> states,
        List<StateRow> idleStates,
        List<PendingAlert> alerts,
        List<CohortWindowRow> cohortWindows,
        List<CohortWindowRow> pairedCohortWindows,
        String topic,
        Map<Integer, Long> positions) {

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
                && pairedCohortWindows.isEmpty();
    }
}
