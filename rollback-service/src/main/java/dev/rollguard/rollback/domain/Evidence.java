package dev.rollguard.rollback.domain;

import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.ScopeType;
import java.time.Instant;

/**
 * What the alert saw: the rule, the breaching value and the cohorts behind it; and the request id and trace id the
 * action carries to the flag-service (the alert's first exemplar's, so the trail leads back to the telemetry).
 */
public record Evidence(
        String alertId,
        String fingerprint,
        String ruleId,
        String ruleName,
        String metric,
        String comparator,
        double threshold,
        Double observedValue,
        long sampleSize,
        ScopeType scopeType,
        String scopeKey,
        Cohort cohort,
        Comparison comparison,
        Instant windowStart,
        Instant windowEnd,
        String requestId,
        String traceId) {

    /** Evidence without request or trace ids (actions stored before they were kept). */
    public Evidence(
            String alertId,
            String fingerprint,
            String ruleId,
            String ruleName,
            String metric,
            String comparator,
            double threshold,
            Double observedValue,
            long sampleSize,
            ScopeType scopeType,
            String scopeKey,
            Cohort cohort,
            Comparison comparison,
            Instant windowStart,
            Instant windowEnd) {
        this(
                alertId,
                fingerprint,
                ruleId,
                ruleName,
                metric,
                comparator,
                threshold,
                observedValue,
                sampleSize,
                scopeType,
                scopeKey,
                cohort,
                comparison,
                windowStart,
                windowEnd,
                null,
                null);
    }

    /**
     * Treatment against control as the alert-service compared them; the guard's fields (clients, relative effect and
     * its interval, confidence, evidence reached, summary, the stage judged) are null for a comparative threshold rule.
     *
     * @param stageVersion the version of the flag that began the rollout stage the guard judged; a REVERT_STAGE on
     *     the alert is sent tied to it, so it never moves the flag back from another stage
     */
    public record Comparison(
            double treatmentValue,
            double controlValue,
            long treatmentSamples,
            long controlSamples,
            Double pValue,
            String method,
            Long treatmentClients,
            Long controlClients,
            Double relativeEffect,
            Double effectLower,
            Double effectUpper,
            Double confidence,
            Double evidence,
            String summary,
            Long stageVersion) {}
}
