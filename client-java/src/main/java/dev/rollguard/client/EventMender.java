package dev.rollguard.client;

import dev.rollguard.schemas.event.FlagExposure;
import dev.rollguard.schemas.keys.FlagKeys;
import dev.rollguard.schemas.telemetry.ContextRefusal;
import dev.rollguard.schemas.telemetry.TelemetryLimits;
import java.time.Duration;

/**
 * What the client does to an event so that metrics-ingest takes it, by the schemas' {@link TelemetryLimits} (the
 * receiver's own): it mends an error message, tells why a context attribute or an exposure would be refused (so that
 * it is left out), and which number would have the whole event refused (so that it is refused at once: no number is
 * mended, any other value would be made up).
 */
final class EventMender {

    /** Metrics-ingest's code for a negative count or duration. */
    static final String NEGATIVE_VALUE = "NEGATIVE_VALUE";
    /** Metrics-ingest's code for a field an event must have. */
    static final String MISSING_FIELD = "MISSING_FIELD";
    /** Metrics-ingest's code for a value over its bound. */
    static final String OVERSIZED_FIELD = "OVERSIZED_FIELD";

    private static final char ELLIPSIS = '\u2026';

    private EventMender() {}

    /**
     * {@code message} as the receiver accepts it: a line break CR LF or a lone CR becomes LF, any other control
     * character but TAB and LF becomes a space, an unpaired surrogate becomes U+FFFD, and a message longer than {@link
     * TelemetryLimits#MAX_ERROR_MESSAGE_LENGTH} (2048) characters is cut to 2047 and ends with an ellipsis. A
     * failure's message is worth more cut than refused.
     */
    static String errorMessage(String message) {
        if (message == null) {
            return null;
        }
        StringBuilder clean = null;
        for (int i = 0; i < message.length(); i++) {
            char c = message.charAt(i);
            char replacement = c;
            boolean skip = false;
            if (Character.isISOControl(c) && c != '\t' && c != '\n') {
                if (c == '\r') {
                    skip = i + 1 < message.length() && message.charAt(i + 1) == '\n';
                    replacement = '\n';
                } else {
                    replacement = ' ';
                }
            } else if (Character.isHighSurrogate(c)) {
                if (i + 1 < message.length() && Character.isLowSurrogate(message.charAt(i + 1))) {
                    if (clean != null) {
                        clean.append(c).append(message.charAt(i + 1));
                    }
                    i++;
                    continue;
                }
                replacement = '\uFFFD';
            } else if (Character.isLowSurrogate(c)) {
                replacement = '\uFFFD';
            }
            if (clean == null && (skip || replacement != c)) {
                clean = new StringBuilder(message.length()).append(message, 0, i);
            }
            if (clean != null && !skip) {
                clean.append(replacement);
            }
        }
        String text = clean == null ? message : clean.toString();
        if (text.length() <= TelemetryLimits.MAX_ERROR_MESSAGE_LENGTH) {
            return text;
        }
        int end = TelemetryLimits.MAX_ERROR_MESSAGE_LENGTH - 1;
        if (Character.isHighSurrogate(text.charAt(end - 1))) {
            end--; // never split a pair: half of one is refused
        }
        return text.substring(0, end) + ELLIPSIS;
    }

    /**
     * Why the receiver would refuse the context attribute {@code name} = {@code value}, by the check it runs itself
     * ({@link TelemetryLimits#contextRefusal}); null when it accepts it.
     */
    static String contextRefusal(String name, String value) {
        ContextRefusal refusal = TelemetryLimits.contextRefusal(name, value);
        return refusal == null ? null : refusal.reason();
    }

    /**
     * Why metrics-ingest would refuse a whole event that carries {@code exposure}, or null when it accepts it: by its
     * own check ({@link TelemetryLimits#isAcceptedExposure}) and the characters it accepts in any text of an event
     * (the variant is another provider's or the app's; a flag key that is one holds none it refuses).
     */
    static String exposureRefusal(FlagExposure exposure) {
        if (exposure == null) {
            return "a missing exposure";
        }
        String flagKey = exposure.getFlagKey();
        String variant = exposure.getVariant();
        if (TelemetryLimits.isAcceptedExposure(exposure) && TelemetryLimits.firstRefusedCharacter(variant, false) < 0) {
            return null;
        }
        if (!TelemetryLimits.isExposureKey(flagKey)) {
            return flagKey == null || flagKey.isBlank()
                    ? "a blank flag key"
                    : "a flag key longer than " + TelemetryLimits.MAX_KEY_LENGTH + " characters";
        }
        if (!FlagKeys.isFlagKey(flagKey)) {
            return "a flag key no flag can have (" + FlagKeys.MESSAGE + ")";
        }
        if (!TelemetryLimits.isExposureKey(variant)) {
            return variant == null || variant.isBlank()
                    ? "a blank variant"
                    : "a variant longer than " + TelemetryLimits.MAX_KEY_LENGTH + " characters";
        }
        if (TelemetryLimits.firstRefusedCharacter(variant, false) >= 0) {
            return "a variant holding a control character or an unpaired surrogate";
        }
        return "a negative flag version";
    }

    /**
     * Why an event cannot be sent for a field it must have and the app did not set ({@code success}, {@code
     * durationMs}: the client fills in the others), with the receiver's code for a missing field; null when it has
     * them.
     */
    static Refusal missingField(boolean hasSuccess, boolean hasDurationMs) {
        if (!hasSuccess) {
            return new Refusal(MISSING_FIELD, "success is not set");
        }
        return hasDurationMs ? null : new Refusal(MISSING_FIELD, "durationMs is not set");
    }

    /**
     * Why metrics-ingest would refuse an event for one of its numbers, the first it would name; null when it would
     * take them all. {@code maxAge} is the oldest event metrics-ingest accepts (its {@code validation.max-age}), and so
     * the longest {@code durationMs}; {@code bytes} is an upload's (null for a sync); the counts are null when the event
     * has none.
     */
    @SuppressWarnings("java:S107") // the numbers of the two event types, checked once
    static Refusal numberRefusal(
            Duration maxAge,
            long durationMs,
            Long bytes,
            Long recordsSynced,
            Long storageUsedBytes,
            Long storageQuotaBytes,
            Integer pendingMutations,
            Integer failedMutations,
            Integer syncQueueLength) {
        Refusal refusal = notNegative("durationMs", durationMs);
        long maxDuration = maxAge.toMillis();
        if (refusal == null && durationMs > maxDuration) {
            refusal = new Refusal(
                    OVERSIZED_FIELD,
                    "durationMs must be at most " + maxDuration + " (" + inWords(maxAge)
                            + ", the oldest event metrics-ingest accepts), was " + durationMs);
        }
        if (refusal == null) {
            refusal = notNegative("recordsSynced", recordsSynced);
        }
        if (refusal == null) {
            refusal = notNegative("bytes", bytes);
        }
        if (refusal == null && bytes != null && bytes > TelemetryLimits.MAX_UPLOAD_BYTES) {
            refusal = new Refusal(
                    OVERSIZED_FIELD,
                    "bytes must be at most " + TelemetryLimits.MAX_UPLOAD_BYTES + " (1 TiB), was " + bytes);
        }
        if (refusal == null) {
            refusal = notNegative("storageUsedBytes", storageUsedBytes);
        }
        if (refusal == null) {
            refusal = notNegative("storageQuotaBytes", storageQuotaBytes);
        }
        if (refusal == null) {
            refusal = mutationCount("pendingMutations", pendingMutations);
        }
        if (refusal == null) {
            refusal = mutationCount("failedMutations", failedMutations);
        }
        if (refusal == null) {
            refusal = mutationCount("syncQueueLength", syncQueueLength);
        }
        return refusal;
    }

    private static Refusal mutationCount(String field, Integer count) {
        Refusal refusal = notNegative(field, count);
        if (refusal == null && count != null && count > TelemetryLimits.MAX_MUTATION_COUNT) {
            refusal = new Refusal(
                    OVERSIZED_FIELD,
                    field + " must be at most " + TelemetryLimits.MAX_MUTATION_COUNT + ", was " + count);
        }
        return refusal;
    }

    /** {@code age} in days when it is whole days ("7 days"), else as ISO-8601 ("PT36H"). */
    private static String inWords(Duration age) {
        long days = age.toDays();
        if (!Duration.ofDays(days).equals(age)) {
            return age.toString();
        }
        return days == 1 ? "1 day" : days + " days";
    }

    private static Refusal notNegative(String field, Number value) {
        if (value != null && value.longValue() < 0) {
            return new Refusal(NEGATIVE_VALUE, field + " must not be negative, was " + value);
        }
        return null;
    }

    /** Why metrics-ingest would refuse an event: its error code and reason. */
    record Refusal(String code, String reason) {}

    /** {@code text} on one line, at most {@code max} characters, for a log line that quotes something received. */
    static String forLog(String text, int max) {
        if (text == null) {
            return "";
        }
        StringBuilder line = new StringBuilder(Math.min(text.length(), max + 1));
        for (int i = 0; i < text.length() && line.length() < max; i++) {
            char c = text.charAt(i);
            line.append(Character.isISOControl(c) || Character.isSurrogate(c) ? '?' : c);
        }
        if (text.length() > max) {
            line.append(ELLIPSIS);
        }
        return line.toString();
    }
}
