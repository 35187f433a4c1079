package dev.rollguard.rollback.api;

import dev.rollguard.rollback.domain.Evidence.Comparison;
import java.time.Instant;

/**
 * One action of the guard as the history API serves it: the fields of the RollbackActionEvent under the same names,
 * plus its progress ({@code state}, {@code published}) and the step durations.
 *
 * @param id the idempotency key (alert fingerprint + ":" + startsAt millis), equal to {@code actionId}
 * @param state PENDING while the flag-service has not confirmed, DONE after
 * @param scopeType the alert's scope type as stored, also one a newer release knows and this one does not
 * @param cohort the alert's cohort as stored, also one a newer release knows and this one does not
 * @param latenciesMs the timings as step durations; null where a step did not happen or was not measured
 * @param requestId X-Request-Id sent to the flag-service with the change (the alert's first exemplar's), also in the
 *     flag's audit row
 * @param traceId trace id of the traceparent sent with it
 */
public record RollbackView(
        String id,
        String actionId,
        String state,
        String flagKey,
        String action,
        String outcome,
        String reason,
        boolean dryRun,
        boolean published,
        String alertId,
        String alertFingerprint,
        String ruleId,
        String ruleName,
        String metric,
        String comparator,
        Double observedValue,
        double threshold,
        long sampleSize,
        String scopeType,
        String scopeKey,
        String cohort,
        Comparison comparison,
        Instant windowStart,
        Instant windowEnd,
        Long flagVersionBefore,
        Long flagVersionAfter,
        Instant firstBreachAt,
        Instant windowClosedAt,
        Instant alertFiredAt,
        Instant alertReceivedAt,
        Instant flagChangedAt,
        Instant visibleAt,
        Latencies latenciesMs,
        Instant createdAt,
        String requestId,
        String traceId) {

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
