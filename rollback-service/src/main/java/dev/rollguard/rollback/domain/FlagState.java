package dev.rollguard.rollback.domain;

import java.time.Instant;

/**
 * What the guard needs to know about a flag, as the flag-service reported it.
 *
 * @param currentStage index of the rollout stage the flag is at, null when it follows no stage plan
 * @param updatedAt when the flag-service committed this version, null when it did not say
 * @param stageVersion the version of the flag that began its current rollout stage, null when the flag-service did not
 *     say (no plan, or a flag-service that does not tell)
 */
public record FlagState(
        String key,
        boolean enabled,
        boolean killed,
        boolean paused,
        Integer currentStage,
        GuardPolicy policy,
        long version,
        Instant updatedAt,
        Long stageVersion) {

    /** A flag whose current stage's version is not known. */
    public FlagState(
            String key,
            boolean enabled,
            boolean killed,
            boolean paused,
            Integer currentStage,
            GuardPolicy policy,
            long version,
            Instant updatedAt) {
        this(key, enabled, killed, paused, currentStage, policy, version, updatedAt, null);
    }
}
