package dev.rollguard.schemas.targeting;

import dev.rollguard.schemas.event.Constraint;
import dev.rollguard.schemas.event.ConstraintOperator;
import dev.rollguard.schemas.event.FlagChangeType;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.FlagValueType;
import dev.rollguard.schemas.event.FlagVariant;
import dev.rollguard.schemas.event.GuardAction;
import dev.rollguard.schemas.event.GuardPolicy;
import dev.rollguard.schemas.event.Segment;
import dev.rollguard.schemas.event.TargetingRule;
import dev.rollguard.schemas.event.VariantWeight;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Flags, rules and constraints for the targeting tests. */
final class TargetingFixtures {

    private TargetingFixtures() {}

    /** A boolean-like flag with variants on, off, blue and green, treatment on, off variant off. */
    static FlagChangedEvent flag(String key, int basisPoints) {
        return FlagChangedEvent.newBuilder()
                .setEventId("e-" + key)
                .setFlagKey(key)
                .setVersion(1)
                .setChangeType(FlagChangeType.UPDATED)
                .setChangedAt(Instant.parse("2026-01-01T00:00:00Z"))
                .setActor("test")
                .setEnabled(true)
                .setValueType(FlagValueType.STRING)
                .setVariants(List.of(
                        new FlagVariant("on", "\"on\""),
                        new FlagVariant("off", "\"off\""),
                        new FlagVariant("blue", "\"blue\""),
                        new FlagVariant("green", "\"green\"")))
                .setTreatmentVariant("on")
                .setOffVariant("off")
                .setRolloutBasisPoints(basisPoints)
                .setGuardPolicy(new GuardPolicy(GuardAction.NOTIFY_ONLY, false, 300L))
                .build();
    }

    static Constraint constraint(String attribute, ConstraintOperator operator, String... values) {
        return Constraint.newBuilder()
                .setAttribute(attribute)
                .setOperator(operator)
                .setValues(List.of(values))
                .build();
    }

    static Constraint negated(Constraint constraint) {
        return Constraint.newBuilder(constraint).setNegate(true).build();
    }

    static Constraint ignoringCase(Constraint constraint) {
        return Constraint.newBuilder(constraint).setCaseInsensitive(true).build();
    }

    /** A rule serving {@code variant} to every subject matching all constraints. */
    static TargetingRule serve(String id, String variant, Constraint... constraints) {
        return TargetingRule.newBuilder()
                .setId(id)
                .setConstraints(List.of(constraints))
                .setVariant(variant)
                .build();
    }

    /** A rule rolling out on its own share to the subjects matching all constraints. */
    static TargetingRule share(String id, int basisPoints, Constraint... constraints) {
        return TargetingRule.newBuilder()
                .setId(id)
                .setConstraints(List.of(constraints))
                .setVariant(null)
                .setRolloutBasisPoints(basisPoints)
                .build();
    }

    static TargetingRule inSegments(TargetingRule rule, String... segments) {
        return TargetingRule.newBuilder(rule).setSegments(List.of(segments)).build();
    }

    static Segment segment(String key, Constraint... constraints) {
        return Segment.newBuilder()
                .setKey(key)
                .setConstraints(List.of(constraints))
                .build();
    }

    static VariantWeight weight(String variant, int basisPoints) {
        return new VariantWeight(variant, basisPoints);
    }

    static EvaluationContext context(String key, Object... attributes) {
        Map<String, Object> map = new java.util.HashMap<>();
        for (int i = 0; i < attributes.length; i += 2) {
            map.put((String) attributes[i], attributes[i + 1]);
        }
        return new EvaluationContext(key, map);
    }
}
