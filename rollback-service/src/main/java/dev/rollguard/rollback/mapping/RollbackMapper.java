package dev.rollguard.rollback.mapping;

import dev.rollguard.rollback.api.RollbackView;
import dev.rollguard.rollback.api.RollbackView.Latencies;
import dev.rollguard.rollback.domain.ActionState;
import dev.rollguard.rollback.domain.Decision;
import dev.rollguard.rollback.domain.Evidence;
import dev.rollguard.rollback.domain.Evidence.Comparison;
import dev.rollguard.rollback.domain.RollbackRecord;
import dev.rollguard.rollback.domain.Timings;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.CohortComparison;
import dev.rollguard.schemas.event.Exemplar;
import dev.rollguard.schemas.event.RollbackActionEvent;
import dev.rollguard.schemas.trace.TraceContext;
import java.time.Instant;

/** Between the alert that came in, the stored action, the event that goes out and the REST view. */
public final class RollbackMapper {

    private RollbackMapper() {}

    /** A new action for an alert: evidence and timings copied from the alert, the decision's outcome and reason. */
    public static RollbackRecord newRecord(
            AlertEvent alert,
            String id,
            String flagKey,
            Decision decision,
            Long flagVersionBefore,
            Instant receivedAt) {
        return new RollbackRecord(
                id,
                decision.changesFlag() ? ActionState.PENDING : ActionState.DONE,
                flagKey,
                decision.action(),
                decision.outcome(),
                decision.reason(),
                decision.dryRun(),
                evidence(alert),
                flagVersionBefore,
                null,
                timings(alert, receivedAt),
                false,
                receivedAt,
                null);
    }

    static Evidence evidence(AlertEvent alert) {
        CohortComparison c = alert.getComparison();
        TraceContext trace = trace(alert);
        return new Evidence(
                alert.getAlertId(),
                alert.getFingerprint(),
                alert.getRuleId(),
                alert.getRuleName(),
                alert.getMetric(),
                alert.getComparator(),
                alert.getThreshold(),
                alert.getObservedValue(),
                alert.getSampleSize(),
                alert.getScopeType(),
                alert.getScopeKey(),
                alert.getCohort(),
                c == null
                        ? null
                        : new Comparison(
                                c.getTreatmentValue(),
                                c.getControlValue(),
                                c.getTreatmentSamples(),
                                c.getControlSamples(),
                                c.getPValue(),
                                c.getMethod(),
                                c.getTreatmentClients(),
                                c.getControlClients(),
                                c.getRelativeEffect(),
                                c.getEffectLower(),
                                c.getEffectUpper(),
                                c.getConfidence(),
                                c.getEvidence(),
                                c.getSummary(),
                                c.getStageVersion()),
                alert.getWindowStart(),
                alert.getWindowEnd(),
                trace.requestId(),
                trace.traceId());
    }

    /**
     * The ids the action sends to the flag-service: the request id and trace id of the alert's first exemplar that
     * has them (the telemetry request behind the breach), fresh ones for what it lacks.
     */
    static TraceContext trace(AlertEvent alert) {
        for (Exemplar exemplar : alert.getExemplars()) {
            if (TraceContext.validRequestId(exemplar.getRequestId())
                    || TraceContext.validTraceId(exemplar.getTraceId())) {
                return TraceContext.continueTrace(exemplar.getRequestId(), exemplar.getTraceId());
            }
        }
        return TraceContext.continueTrace(null, null);
    }

    static Timings timings(AlertEvent alert, Instant receivedAt) {
        // The earliest breaching event is the truest start of the incident; the window start is the fallback.
        Instant firstBreach =
                alert.getFirstBreachEventTime() != null ? alert.getFirstBreachEventTime() : alert.getFirstBreachAt();
        // startsAt is event time (the end of the window that completed the condition); the alert left the
        // alert-service at emittedAt, which is what the step from window closed to alert fired measures.
        return new Timings(firstBreach, alert.getWindowClosedAt(), alert.getEmittedAt(), receivedAt, null, null);
    }

    public static RollbackActionEvent toEvent(RollbackRecord r) {
        Evidence e = r.evidence();
        Comparison c = e.comparison();
        Timings t = r.timings();
        return RollbackActionEvent.newBuilder()
                .setActionId(r.id())
                .setFlagKey(r.flagKey())
                .setAction(r.action())
                .setOutcome(r.outcome())
                .setReason(r.reason())
                .setDryRun(r.dryRun())
                .setAlertId(e.alertId())
                .setAlertFingerprint(e.fingerprint())
                .setRuleId(e.ruleId())
                .setRuleName(e.ruleName())
                .setMetric(e.metric())
                .setComparator(e.comparator())
                .setObservedValue(e.observedValue())
                .setThreshold(e.threshold())
                .setSampleSize(e.sampleSize())
                .setScopeType(e.scopeType())
                .setScopeKey(e.scopeKey())
                .setCohort(e.cohort())
                .setComparison(
                        c == null
                                ? null
                                : CohortComparison.newBuilder()
                                        .setTreatmentValue(c.treatmentValue())
                                        .setControlValue(c.controlValue())
                                        .setTreatmentSamples(c.treatmentSamples())
                                        .setControlSamples(c.controlSamples())
                                        .setPValue(c.pValue())
                                        .setMethod(c.method())
                                        .setTreatmentClients(c.treatmentClients())
                                        .setControlClients(c.controlClients())
                                        .setRelativeEffect(c.relativeEffect())
                                        .setEffectLower(c.effectLower())
                                        .setEffectUpper(c.effectUpper())
                                        .setConfidence(c.confidence())
                                        .setEvidence(c.evidence())
                                        .setSummary(c.summary())
                                        .setStageVersion(c.stageVersion())
                                        .build())
                .setWindowStart(e.windowStart())
                .setWindowEnd(e.windowEnd())
                .setFlagVersionBefore(r.flagVersionBefore())
                .setFlagVersionAfter(r.flagVersionAfter())
                .setFirstBreachAt(t.firstBreachAt())
                .setWindowClosedAt(t.windowClosedAt())
                .setAlertFiredAt(t.alertFiredAt())
                .setAlertReceivedAt(t.alertReceivedAt())
                .setFlagChangedAt(t.flagChangedAt())
                .setRequestId(e.requestId())
                .setTraceId(e.traceId())
                .setVisibleAt(t.visibleAt())
                .build();
    }

    public static RollbackView toView(RollbackRecord r) {
        Evidence e = r.evidence();
        Timings t = r.timings();
        return new RollbackView(
                r.id(),
                r.id(),
                r.stateName(),
                r.flagKey(),
                r.actionName(),
                r.outcomeName(),
                r.reason(),
                r.dryRun(),
                r.published(),
                e.alertId(),
                e.fingerprint(),
                e.ruleId(),
                e.ruleName(),
                e.metric(),
                e.comparator(),
                e.observedValue(),
                e.threshold(),
                e.sampleSize(),
                r.scopeTypeName(),
                e.scopeKey(),
                r.cohortName(),
                e.comparison(),
                e.windowStart(),
                e.windowEnd(),
                r.flagVersionBefore(),
                r.flagVersionAfter(),
                t.firstBreachAt(),
                t.windowClosedAt(),
                t.alertFiredAt(),
                t.alertReceivedAt(),
                t.flagChangedAt(),
                t.visibleAt(),
                new Latencies(
                        Timings.millisBetween(t.firstBreachAt(), t.windowClosedAt()),
                        Timings.millisBetween(t.windowClosedAt(), t.alertFiredAt()),
                        Timings.millisBetween(t.alertFiredAt(), t.alertReceivedAt()),
                        Timings.millisBetween(t.alertReceivedAt(), t.flagChangedAt()),
                        Timings.millisBetween(t.flagChangedAt(), t.visibleAt()),
                        Timings.millisBetween(t.firstBreachAt(), t.flagChangedAt()),
                        Timings.millisBetween(t.firstBreachAt(), t.visibleAt())),
                r.createdAt(),
                e.requestId(),
                e.traceId());
    }
}
