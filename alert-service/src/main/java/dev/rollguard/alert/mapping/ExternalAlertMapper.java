package dev.rollguard.alert.mapping;

import dev.rollguard.alert.domain.Fingerprints;
import dev.rollguard.alert.domain.inbound.ExternalAlert;
import dev.rollguard.alert.domain.inbound.InboundDedup.Transition;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.ScopeType;
import dev.rollguard.schemas.event.Severity;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * An alert received from outside as the AlertEvent the rollback-service acts on: rule {@code external}, comparator
 * {@code EXTERNAL} (the sender named the flag at fault on purpose), scope {@code flag:<key>} of type FLAG_COHORT
 * without a cohort, no observed value; the sender's labels and annotations are kept, and the annotation
 * {@value #SOURCE_ANNOTATION} says who sent it.
 */
public final class ExternalAlertMapper {

    /** The rule id of every external alert. */
    public static final String RULE_ID = "external";

    /** The comparator of every external alert; the rollback-service treats it as naming the flag at fault. */
    public static final String COMPARATOR = "EXTERNAL";

    /** The annotation that names the sender (the Alertmanager's URL, or the generic shape's {@code source}). */
    public static final String SOURCE_ANNOTATION = "rollguard_source";

    private ExternalAlertMapper() {}

    public static AlertEvent toEvent(
            ExternalAlert alert,
            String flagKey,
            Severity severity,
            String fingerprint,
            Transition transition,
            Instant emittedAt) {
        String name = alert.name();
        String scopeKey = "flag:" + flagKey;
        Map<String, String> labels = new LinkedHashMap<>(alert.labels());
        labels.putIfAbsent("rule_id", RULE_ID);
        labels.put("severity", severity.name().toLowerCase(Locale.ROOT));
        labels.put("flag", flagKey);
        labels.putIfAbsent("scope", scopeKey);
        labels.putIfAbsent("scope_type", ScopeType.FLAG_COHORT.name());
        Map<String, String> annotations = new LinkedHashMap<>(alert.annotations());
        annotations.putIfAbsent("summary", name + " on flag " + flagKey);
        annotations.put(SOURCE_ANNOTATION, alert.source());
        return AlertEvent.newBuilder()
                .setAlertId(Fingerprints.alertId(fingerprint, transition.status(), transition.startsAt()))
                .setFingerprint(fingerprint)
                .setStatus(transition.status())
                .setSeverity(severity)
                .setRuleId(RULE_ID)
                .setRuleName(name)
                .setMetric(RULE_ID)
                .setComparator(COMPARATOR)
                .setThreshold(0)
                .setObservedValue(null)
                .setSampleSize(0)
                .setScopeType(ScopeType.FLAG_COHORT)
                .setScopeKey(scopeKey)
                .setFlagKey(flagKey)
                .setFirstBreachAt(transition.startsAt())
                .setStartsAt(transition.startsAt())
                .setEndsAt(transition.endsAt())
                .setEmittedAt(emittedAt)
                .setLabels(labels)
                .setAnnotations(annotations)
                .build();
    }
}
