package dev.rollguard.ingest.domain;

/**
 * Why a telemetry event was refused: a stable {@code code} (dead-letter header, HTTP answer, metric tag) and a
 * human {@code message}.
 */
public record Violation(String code, String message) {

    public static final String MISSING_FIELD = "MISSING_FIELD";
    public static final String NEGATIVE_VALUE = "NEGATIVE_VALUE";
    public static final String FUTURE_TIMESTAMP = "FUTURE_TIMESTAMP";
    public static final String EXPIRED_TIMESTAMP = "EXPIRED_TIMESTAMP";
    public static final String OVERSIZED_FIELD = "OVERSIZED_FIELD";
    public static final String INVALID_CHARACTER = "INVALID_CHARACTER";
    public static final String TOO_MANY_EXPOSURES = "TOO_MANY_EXPOSURES";
    public static final String INVALID_FIELD = "INVALID_FIELD";
    public static final String UNKNOWN_ENUM_VALUE = "UNKNOWN_ENUM_VALUE";
    public static final String UNKNOWN_TYPE = "UNKNOWN_TYPE";
    public static final String MALFORMED_EVENT = "MALFORMED_EVENT";
    /** The event's window had closed when it arrived (dead-lettered by the lateness stage, not the validator). */
    public static final String LATE = "LATE";
}
