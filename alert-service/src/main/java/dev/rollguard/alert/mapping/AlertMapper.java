package dev.rollguard.alert.mapping;

import dev.rollguard.alert.domain.ComparisonResult;
import dev.rollguard.alert.domain.Fingerprints;
import dev.rollguard.alert.domain.Level;
import dev.rollguard.alert.domain.Observation;
import dev.rollguard.alert.domain.RuleDefinition;
import dev.rollguard.alert.domain.Scope;
import dev.rollguard.alert.domain.Transition;
import dev.rollguard.alert.domain.judgment.FlagVerdict;
import dev.rollguard.alert.domain.judgment.MetricVerdict;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.CohortComparison;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Builds AlertEvents from state machine transitions, and their JSON views. */
public final class AlertMapper {

    private AlertMapper() {}

    public static AlertEvent toEvent(RuleDefinition rule, Scope scope, Transition transition, Instant emittedAt) {
        String fingerprint = Fingerprints.of(rule.id(), scope.key(), transition.severity());
        Level level = rule.level(transition.severity());
        var observation = transition.observation();
        Instant firstBreachAt = transition.level().firstBreachAt() != null
                ? transition.level().firstBreachAt()
                : observation.windowStart();
        return AlertEvent.newBuilder()
                .setAlertId(Fingerprints.alertId(fingerprint, transition.status(), transition.startsAt()))
                .setFingerprint(fingerprint)
                .setStatus(transition.status())
                .setSeverity(transition.severity())
                .setRuleId(rule.id())
                .setRuleName(rule.name())
                .setMetric(metric(rule, observation))
                .setComparator(rule.comparator().name())
                .setThreshold(level.threshold())
                .setObservedValue(observation.value())
                .setSampleSize(observation.sampleSize())
                .setScopeType(scope.type())
                .setScopeKey(scope.key())
                .setFlagKey(scope.flagKey())
                .setCohort(scope.cohort())
                .setVariant(scope.variant())
                .setTable(scope.table())
                .setPlatform(scope.platform())
                .setWindowStart(observation.windowStart())
                .setWindowEnd(observation.windowEnd())
                .setFirstBreachAt(firstBreachAt)
                .setFirstBreachEventTime(transition.level().firstBreachEventTime())
                .setWindowClosedAt(observation.closedAt())
                .setStartsAt(transition.startsAt())
                .setEndsAt(transition.endsAt())
                .setEmittedAt(emittedAt)
                .setComparison(
                        rule.guard() && observation.guard() != null
                                ? guardComparison(observation.guard(), scope.variant(), observation.stageVersion())
                                : comparison(observation.comparison()))
                .setLabels(labels(rule, scope, transition))
                .setAnnotations(annotations(rule, scope, transition, level))
                .build();
    }

    public static AlertView toView(AlertEvent event) {
        CohortComparison c = event.getComparison();
        return new AlertView(
                event.getAlertId(),
                event.getFingerprint(),
                event.getStatus(),
                event.getSeverity(),
                event.getRuleId(),
                event.getRuleName(),
                event.getMetric(),
                event.getComparator(),
                event.getThreshold(),
                event.getObservedValue(),
                event.getSampleSize(),
                event.getScopeType(),
                event.getScopeKey(),
                event.getFlagKey(),
                event.getCohort(),
                event.getVariant(),
                event.getTable(),
                event.getPlatform(),
                event.getWindowStart(),
                event.getWindowEnd(),
                event.getFirstBreachAt(),
                event.getFirstBreachEventTime(),
                event.getWindowClosedAt(),
                event.getStartsAt(),
                event.getEndsAt(),
                event.getEmittedAt(),
                c == null
                        ? null
                        : new AlertView.Comparison(
                                c.getTreatmentValue(),
                                c.getControlValue(),
                                c.getTreatmentSamples(),
                                c.getControlSamples(),
                                c.getPValue(),
                                c.getMethod(),
                                c.getStageVersion()),
                Map.copyOf(event.getLabels()),
                Map.copyOf(event.getAnnotations()),
                event.getExemplars().stream()
                        .map(e -> new AlertView.Exemplar(
                                e.getEventId(), e.getEventTime(), e.getRequestId(), e.getTraceId()))
                        .toList());
    }

    /** The metric the alert names: the guard's headline metric (e.g. {@code failure}), else the rule's. */
    private static String metric(RuleDefinition rule, Observation observation) {
        if (rule.guard() && observation.guard() != null) {
            MetricVerdict headline = observation.guard().regressions().isEmpty()
                    ? null
                    : observation.guard().regressions().get(0);
            return headline == null ? rule.metric() : headline.spec().name();
        }
        return rule.metric();
    }

    /**
     * The evidence of the guard's verdict, told by its headline metric (the strongest regression), and the stage it
     * judged.
     */
    private static CohortComparison guardComparison(FlagVerdict verdict, String variant, Long stageVersion) {
        MetricVerdict m = verdict.regressions().isEmpty()
                ? verdict.metrics().stream()
                        .filter(v -> v.treatedClients() > 0 || v.controlClients() > 0)
                        .findFirst()
                        .orElse(null)
                : verdict.regressions().get(0);
        if (m == null) {
            return null;
        }
        return CohortComparison.newBuilder()
                .setTreatmentValue(m.treated())
                .setControlValue(m.control())
                .setTreatmentSamples(Math.round(m.treatedEvents()))
                .setControlSamples(Math.round(m.controlEvents()))
                .setPValue(null)
                .setMethod(m.method())
                .setTreatmentClients(m.treatedClients())
                .setControlClients(m.controlClients())
                .setRelativeEffect(finite(m.relativeEffect()))
                .setEffectLower(finite(m.relativeInterval().lower()))
                .setEffectUpper(finite(m.relativeInterval().upper()))
                .setConfidence(m.confidence())
                .setEvidence(finite(m.evidenceFraction()))
                .setSummary((variant == null ? "" : "variant " + variant + ": ") + verdict.summary())
                .setStageVersion(stageVersion)
                .build();
    }

    private static Double finite(double value) {
        return Double.isFinite(value) ? value : null;
    }

    private static CohortComparison comparison(ComparisonResult result) {
        if (result == null) {
            return null;
        }
        return CohortComparison.newBuilder()
                .setTreatmentValue(result.treatmentValue())
                .setControlValue(result.controlValue())
                .setTreatmentSamples(result.treatmentSamples())
                .setControlSamples(result.controlSamples())
                .setPValue(result.pValue())
                .setMethod(result.method())
                .build();
    }

    private static Map<String, String> labels(RuleDefinition rule, Scope scope, Transition transition) {
        Map<String, String> labels = new LinkedHashMap<>(rule.labels());
        labels.put("alertname", rule.name());
        labels.put("rule_id", rule.id());
        labels.put("severity", transition.severity().name().toLowerCase(Locale.ROOT));
        labels.put("scope", scope.key());
        labels.put("scope_type", scope.type().name());
        if (scope.flagKey() != null) {
            labels.put("flag", scope.flagKey());
        }
        if (scope.cohort() != null) {
            labels.put("cohort", scope.cohort().name());
        }
        if (scope.variant() != null) {
            labels.put("variant", scope.variant());
        }
        if (scope.table() != null) {
            labels.put("table", scope.table());
        }
        if (scope.platform() != null) {
            labels.put("platform", scope.platform().name());
        }
        return labels;
    }

    private static Map<String, String> annotations(
            RuleDefinition rule, Scope scope, Transition transition, Level level) {
        Map<String, String> annotations = new LinkedHashMap<>(rule.annotations());
        annotations.putIfAbsent("summary", rule.name() + " on " + scope.key());
        Double value = transition.observation().value();
        String observed = value == null ? "no data" : String.format(Locale.ROOT, "%.6g", value);
        String description;
        if (rule.guard() && transition.observation().guard() != null) {
            description = "guard: "
                    + (scope.variant() == null ? "" : "variant " + scope.variant() + " against the control: ")
                    + transition.observation().guard().summary();
        } else if (rule.comparative() && transition.observation().comparison() != null) {
            ComparisonResult c = transition.observation().comparison();
            description = String.format(
                    Locale.ROOT,
                    "%s: %s %.4g (%d events) against control %.4g (%d events), %s worse by %.4g"
                            + " (margin %.4g), p = %.3g",
                    rule.metric(),
                    scope.variant() == null ? "treatment" : "variant " + scope.variant(),
                    c.treatmentValue(),
                    c.treatmentSamples(),
                    c.controlValue(),
                    c.controlSamples(),
                    c.method(),
                    c.difference(),
                    level.threshold(),
                    c.pValue());
        } else {
            description = String.format(
                    Locale.ROOT,
                    "%s = %s (%s %s, %d events)",
                    rule.metric(),
                    observed,
                    rule.comparator(),
                    String.format(Locale.ROOT, "%.6g", level.threshold()),
                    transition.observation().sampleSize());
        }
        annotations.put("description", description);
        annotations.put("reason", transition.reason());
        return annotations;
    }
}
