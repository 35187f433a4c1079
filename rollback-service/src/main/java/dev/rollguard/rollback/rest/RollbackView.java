package dev.rollguard.rollback.rest;

import dev.rollguard.rollback.domain.Evidence;
import dev.rollguard.rollback.domain.Timings;
import java.time.Instant;

/**
 * One action of the guard as the history API serves it.
 *
 * @param state PENDING while the flag-service has not confirmed, DONE after
 * @param latenciesMs the timings as step durations; null where a step did not happen or was not measured
 */
public record RollbackView(
        String id,
        String state,
        String flagKey,
        String action,
        String outcome,
        String reason,
        boolean dryRun,
        boolean published,
        Evidence evidence,
        Long flagVersionBefore,
        Long flagVersionAfter,
        Timings timings,
        Latencies latenciesMs,
        Instant createdAt) {

    /** Milliseconds of each step from the first breaching event to clients seeing the change. */
    public record Latencies(
            Long breachToWindowClosed,
            Long windowClosedToAlertFired,
            Long alertFiredToReceived,
            Long receivedToFlagChanged,
            Long flagChangedToVisible,
            Long breachToFlagChanged,
            Long breachToVisible) {}
}
