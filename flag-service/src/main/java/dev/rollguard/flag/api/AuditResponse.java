package dev.rollguard.flag.api;

import com.fasterxml.jackson.annotation.JsonRawValue;
import java.time.Instant;

/**
 * One audit row, of a flag's change ({@code flagKey}) or a segment's ({@code segmentKey}); before and after are the flag
 * (or segment) JSON around the change, fromStage and toStage the rollout stage
 * indexes around a rollout control (null when off the plan or for other changes); requestId and traceId those of the
 * request that made the change (for an automatic kill, the telemetry request behind the breach).
 */
public record AuditResponse(
        long id,
        String flagKey,
        String segmentKey,
        String action,
        String actor,
        String tokenName,
        String reason,
        Integer fromStage,
        Integer toStage,
        @JsonRawValue String before,
        @JsonRawValue String after,
        String idempotencyKey,
        Instant at,
        String requestId,
        String traceId) {}
