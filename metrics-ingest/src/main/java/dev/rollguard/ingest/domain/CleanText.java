package dev.rollguard.ingest.domain;

import dev.rollguard.schemas.telemetry.TelemetryLimits;
import java.util.Set;

/**
 * The characters telemetry text may hold, checked at both doors (Kafka and HTTP) before anything is counted. Refused
 * in every text field: the control characters U+0000-U+001F, U+007F and U+0080-U+009F, and unpaired surrogates
 * (which have no UTF-8 encoding). NUL matters most: PostgreSQL cannot store it in text, so one accepted event carrying
 * it would later fail the alert-service's write of a whole batch of windows. Free text (an error message) may keep
 * TAB and LF, because real error messages and stack traces span lines; it may not keep CR or any other control.
 */
public final class CleanText {

    /** The telemetry fields that are free text (TAB and LF kept); every other text field is one line. */
    public static final Set<String> FREE_TEXT_FIELDS = Set.of("errorMessage");

    private CleanText() {}

    /**
     * The first character of {@code text} that is refused, as a violation naming {@code field}; null when clean.
     * The field is free text when it is one of {@link #FREE_TEXT_FIELDS}.
     */
    public static Violation check(String field, String text) {
        if (text == null) {
            return null;
        }
        boolean freeText = FREE_TEXT_FIELDS.contains(field);
        int index = firstRefused(text, freeText);
        if (index < 0) {
            return null;
        }
        return new Violation(
                Violation.INVALID_CHARACTER,
                field
                        + " contains the character U+%04X at position %d: control characters%s are not accepted"
                                .formatted((int) text.charAt(index), index, freeText ? " other than TAB and LF" : ""));
    }

    /** Index of the first refused character of {@code text}, or -1 ({@link TelemetryLimits#firstRefusedCharacter}). */
    public static int firstRefused(String text, boolean freeText) {
        return TelemetryLimits.firstRefusedCharacter(text, freeText);
    }
}
