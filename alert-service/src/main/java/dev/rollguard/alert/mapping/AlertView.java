package dev.rollguard.alert.mapping;

import dev.rollguard.schemas.event.AlertStatus;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.Platform;
import dev.rollguard.schemas.event.ScopeType;
import dev.rollguard.schemas.event.Severity;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * JSON form of an AlertEvent for the REST API and SSE; field meanings are the AlertEvent schema's ({@code variant}: the
 * treated variant of a flag with weighted variants that the alert judged against the control, else null).
 */
public record AlertView(
        String alertId,
        String fingerprint,
        AlertStatus status,
        Severity severity,
        String ruleId,
        String ruleName,
        String metric,
        String comparator,
        double threshold,
        Double observedValue,
        long sampleSize,
        ScopeType scopeType,
        String scopeKey,
        String flagKey,
        Cohort cohort,
        String variant,
        String table,
        Platform platform,
        Instant windowStart,
        Instant windowEnd,
        Instant firstBreachAt,
        Instant firstBreachEventTime,
        Instant windowClosedAt,
        Instant startsAt,
        Instant endsAt,
        Instant emittedAt,
        Comparison comparison,
        Map<String, String> labels,
        Map<String, String> annotations,
        List<Exemplar> exemplars) {

    /** A failed event behind the alert, named by the request and trace it came with. */
    public record Exemplar(String eventId, Instant eventTime, String requestId, String traceId) {}

    /**
     * Evidence of a comparative rule.
     *
     * @param stageVersion on the guard's comparison, the version of the flag that began the stage judged; null on a
     *     comparison of windows alone
     */
    public record Comparison(
            double treatmentValue,
            double controlValue,
            long treatmentSamples,
            long controlSamples,
            Double pValue,
            String method,
            Long stageVersion) {}
}
