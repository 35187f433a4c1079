package dev.rollguard.schemas.targeting;

import java.util.Map;

/**
 * Who a flag is evaluated for: the targeting key (the subject bucketed by percentage rollouts and matched by the allow-
 * and deny-lists) and the other attributes of the OpenFeature evaluation context, which targeting rules read.
 *
 * <p>Attribute values are {@link String}, {@link Number} or {@link Boolean}, as an OFREP context carries them; any
 * other value is read through its {@code toString()}. The map is held as given, not copied: evaluation only reads it.
 *
 * @param targetingKey the subject; may be null or blank when the subject is anonymous
 * @param attributes the other context attributes by name; never null (an absent map is empty)
 */
public record EvaluationContext(String targetingKey, Map<String, Object> attributes) {

    /** The name under which rules read the targeting key. */
    public static final String TARGETING_KEY = "targetingKey";

    public EvaluationContext {
        if (attributes == null) {
            attributes = Map.of();
        }
    }

    /** A context with a targeting key and no other attribute. */
    public static EvaluationContext of(String targetingKey) {
        return new EvaluationContext(targetingKey, Map.of());
    }

    /** A context with a targeting key and attributes. */
    public static EvaluationContext of(String targetingKey, Map<String, Object> attributes) {
        return new EvaluationContext(targetingKey, attributes);
    }

    /**
     * The context of an OFREP request body's {@code context} object: {@code targetingKey} (when a string) is the
     * targeting key, every entry is an attribute.
     */
    public static EvaluationContext fromOfrep(Map<String, Object> context) {
        if (context == null) {
            return of(null);
        }
        return new EvaluationContext(context.get(TARGETING_KEY) instanceof String key ? key : null, context);
    }

    /**
     * The value of an attribute, null when absent. {@code targetingKey} reads the targeting key (or, when that is
     * null, an attribute of that name).
     */
    public Object attribute(String name) {
        if (TARGETING_KEY.equals(name) && targetingKey != null) {
            return targetingKey;
        }
        return attributes.get(name);
    }

    /** Whether the targeting key is present and not blank. */
    public boolean hasTargetingKey() {
        return targetingKey != null && !targetingKey.isBlank();
    }
}
