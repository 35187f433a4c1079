package dev.rollguard.rollback.domain;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.rollguard.schemas.event.RolloutAction;
import dev.rollguard.schemas.event.RolloutOutcome;
import java.time.Instant;
import java.util.List;

/**
 * A step the promoter took on a flag's rollout plan, with its evidence: stored in {@code rollout_action}, published
 * as a {@code RolloutActionEvent} on {@code rollouts} and served by {@code GET /api/rollouts} under the event's field
 * names.
 *
 * @param id the idempotency key sent to the flag-service (= the event's actionId)
 */
public record RolloutStep(
        String id,
        ActionState state,
        String flagKey,
        RolloutAction action,
        RolloutOutcome outcome,
        String reason,
        Integer fromStage,
        String fromStageName,
        Double fromPercentage,
        Integer toStage,
        String toStageName,
        Double toPercentage,
        long stageVersion,
        Instant stageEnteredAt,
        long minSoakSeconds,
        long secondsInStage,
        long minClientsPerCohort,
        long treatedClients,
        long controlClients,
        String verdict,
        Double confidence,
        Integer tolerancePercent,
        List<GuardReading.Metric> metrics,
        boolean dryRun,
        Instant decidedAt,
        Long flagVersionBefore,
        Long flagVersionAfter,
        Instant flagChangedAt,
        boolean published,
        Instant createdAt) {

    public RolloutStep {
        metrics = metrics == null ? List.of() : List.copyOf(metrics);
    }

    /** The event's name for the id, so that the API serves the event's fields under the event's names. */
    @JsonProperty("actionId")
    public String actionId() {
        return id;
    }

    /** The step once the flag-service answered (or, for EXTEND and dry runs, once recorded). */
    public RolloutStep done(RolloutOutcome outcome, String reason, Long flagVersionAfter, Instant flagChangedAt) {
        return new RolloutStep(
                id,
                ActionState.DONE,
                flagKey,
                action,
                outcome,
                reason,
                fromStage,
                fromStageName,
                fromPercentage,
                toStage,
                toStageName,
                toPercentage,
                stageVersion,
                stageEnteredAt,
                minSoakSeconds,
                secondsInStage,
                minClientsPerCohort,
                treatedClients,
                controlClients,
                verdict,
                confidence,
                tolerancePercent,
                metrics,
                dryRun,
                decidedAt,
                flagVersionBefore,
                flagVersionAfter,
                flagChangedAt,
                published,
                createdAt);
    }
}
