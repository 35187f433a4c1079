package dev.rollguard.schemas.telemetry;

/**
 * Why metrics-ingest refuses a context attribute: the first rule of {@link TelemetryLimits#contextRefusal} it breaks,
 * in the order they are checked. The constant's name is a stable code, for a caller that words the refusal its own
 * way (metrics-ingest names the attribute in its answer); {@link #reason()} says it about "it", the attribute, as the
 * Java client logs it.
 */
public enum ContextRefusal {
    /** The name is null or empty. */
    EMPTY_NAME("an attribute name is empty"),
    /** The name is longer than {@link TelemetryLimits#MAX_CONTEXT_NAME_LENGTH}. */
    NAME_TOO_LONG("its name is longer than " + TelemetryLimits.MAX_CONTEXT_NAME_LENGTH + " characters"),
    /** The name is not made as {@link TelemetryLimits#isContextName} says. */
    MALFORMED_NAME("its name must start with a letter or '_' and hold only letters, digits, '_', '.' and '-'"),
    /** The name is one of {@link TelemetryLimits#RESERVED_CONTEXT_NAMES}. */
    RESERVED_NAME("it is carried by the event's own field (targetingKey is the userId, else the clientId)"),
    /** The value is null. */
    MISSING_VALUE("it has no value"),
    /** The value is longer than {@link TelemetryLimits#MAX_CONTEXT_VALUE_LENGTH}. */
    VALUE_TOO_LONG("its value is longer than " + TelemetryLimits.MAX_CONTEXT_VALUE_LENGTH + " characters"),
    /** The value holds a character no telemetry text may ({@link TelemetryLimits#firstRefusedCharacter}). */
    REFUSED_CHARACTER("its value holds a control character or an unpaired surrogate");

    private final String reason;

    ContextRefusal(String reason) {
        this.reason = reason;
    }

    /** Why, in words, about the attribute ("its name is longer than 64 characters"). */
    public String reason() {
        return reason;
    }
}
