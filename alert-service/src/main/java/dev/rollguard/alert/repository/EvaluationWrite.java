package dev.rollguard.alert.repository;

import java.time.Instant;
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
 * @param flagPartitions the partition of each flag whose cohort windows or guard evidence are written
 * @param fence the partitions the writing instance holds, checked in the transaction
 * @param watermarks idle rule states the no-data sweep needs after a restart
 * @param forgottenWatermarks idle rule states no longer needed (rule id, scope key)
 */
public record EvaluationWrite(
        List<StateRow> states,
        List<StateRow> idleStates,
        List<PendingAlert> alerts,
        List<CohortWindowRow> cohortWindows,
        List<CohortWindowRow> pairedCohortWindows,
        String topic,
        Map<Integer, Long> positions,
        List<GuardStageRow> guardStages,
        Map<String, Integer> flagPartitions,
        Fence fence,
        List<WatermarkRow> watermarks,
        List<StateRow> forgottenWatermarks) {

    /**
     * The partitions of {@code topic} that instance {@code owner} claimed, with the epoch of each claim: the write
     * commits only while the owner still holds every one of them at that epoch.
     */
    public record Fence(String owner, Map<Integer, Long> epochs) {}

    /** The guard's evidence and latest verdict (JSON) of one flag's stage; {@code evidence} null for a deletion. */
    public record GuardStageRow(String flagKey, long stageVersion, String evidence, String verdict) {}

    /** A rule state row; {@code json} is null for a deletion; {@code partition} null when not known. */
    public record StateRow(String ruleId, String scopeKey, String json, Integer partition) {}

    /** An idle rule state (JSON) and the end of its scope's last window; {@code partition} null when not known. */
    public record WatermarkRow(String ruleId, String scopeKey, String json, Instant lastWindowEnd, Integer partition) {}

    /**
     * A cohort window row; {@code variant} is the treated variant of a flag with weighted variants, else empty;
     * {@code payload} is null for a deletion.
     */
    public record CohortWindowRow(
            String flagKey,
            String windowKind,
            long windowStart,
            long windowEnd,
            String cohort,
            String variant,
            byte[] payload) {}

    public boolean touchesNothingButPositions() {
        return states.isEmpty()
                && idleStates.isEmpty()
                && alerts.isEmpty()
                && cohortWindows.isEmpty()
                && pairedCohortWindows.isEmpty()
                && guardStages.isEmpty()
                && watermarks.isEmpty()
                && forgottenWatermarks.isEmpty();
    }
}
