package dev.rollguard.schemas.telemetry;

import dev.rollguard.schemas.event.FlagExposure;
import dev.rollguard.schemas.keys.FlagKeys;
import java.time.Duration;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What metrics-ingest accepts in one telemetry event (SyncEvent, UploadEvent): the one copy of these limits, which
 * metrics-ingest enforces (an event that breaks one is refused) and the Java client applies before it sends (it
 * leaves out or mends what it can). The limits an operator may change in metrics-ingest (its {@code
 * validation.*} settings) have their defaults here, which is what a client assumes.
 *
 * <p>The browser client (client-js) cannot use this class: its own copies of the limits it applies are checked
 * against this file by its tests ({@code test/limits.test.ts} reads the values below), so keep each one it uses a
 * plain literal.
 */
public final class TelemetryLimits {

    /** Longest id (event, client, user and session id, app version, error code); metrics-ingest's default. */
    public static final int MAX_ID_LENGTH = 256;
    /**
     * Longest flag key, variant and table name. Flag keys and variants are the flag-service's (at most 128 characters
     * there), so a longer one names no flag; a table name becomes a scope key ({@code table:<name>}) that the
     * alert-service stores and matches rules against (its rule column holds 200 characters).
     */
    public static final int MAX_KEY_LENGTH = 128;
    /** Longest error message, in characters; metrics-ingest's default. */
    public static final int MAX_ERROR_MESSAGE_LENGTH = 2048;
    /** Most flag exposures on one event ({@code TOO_MANY_EXPOSURES} beyond); metrics-ingest's default. */
    public static final int MAX_EXPOSURES = 64;
    /** Most context attributes on one event. */
    public static final int MAX_CONTEXT_ATTRIBUTES = 32;
    /** Longest context attribute name. */
    public static final int MAX_CONTEXT_NAME_LENGTH = 64;
    /** Longest context attribute value. */
    public static final int MAX_CONTEXT_VALUE_LENGTH = 256;
    /**
     * Largest upload, 1 TiB: more than any client transfers at once, and small enough that a window's sum of upload
     * bytes cannot overflow however many events it counts.
     */
    public static final long MAX_UPLOAD_BYTES = 1L << 40;
    /**
     * Largest count of pending or failed mutations, or sync queue length, ten million: more than any client holds,
     * and small enough that the guard's per-client sums of squares stay exact enough to take a client back out.
     */
    public static final int MAX_MUTATION_COUNT = 10_000_000;
    /** How far ahead of the receiver's clock an event time may be, in minutes; metrics-ingest's default. */
    public static final int MAX_CLOCK_SKEW_MINUTES = 5;
    /**
     * Oldest event accepted, in days (the telemetry topics' retention), and so the longest {@code durationMs}: nothing
     * a client did took longer than the oldest event it may still send. Metrics-ingest's default.
     */
    public static final int MAX_AGE_DAYS = 7;

    /** {@link #MAX_CLOCK_SKEW_MINUTES} as a duration. */
    public static final Duration MAX_CLOCK_SKEW = Duration.ofMinutes(MAX_CLOCK_SKEW_MINUTES);
    /** {@link #MAX_AGE_DAYS} as a duration. */
    public static final Duration MAX_AGE = Duration.ofDays(MAX_AGE_DAYS);

    /** Attributes the event carries in fields of its own; its context may not restate them. */
    public static final Set<String> RESERVED_CONTEXT_NAMES = Set.of("targetingKey", "platform", "appVersion");

    /** What a context attribute name is made of: an identifier, as rule constraints name attributes. */
    private static final Pattern CONTEXT_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]*");

    private TelemetryLimits() {}

    /**
     * Whether {@code name} is made as a context attribute name must be: a letter or '_', then letters, digits, '_',
     * '.' and '-' (its length and whether it is reserved are checked apart).
     */
    public static boolean isContextName(String name) {
        return name != null && CONTEXT_NAME.matcher(name).matches();
    }

    /**
     * Why metrics-ingest refuses the context attribute {@code name} = {@code value}, the first rule it breaks (in the
     * order of {@link ContextRefusal}'s constants), or null when it accepts it. How many attributes an event may carry
     * ({@link #MAX_CONTEXT_ATTRIBUTES}) is checked apart.
     */
    public static ContextRefusal contextRefusal(String name, String value) {
        ContextRefusal shape = contextShapeRefusal(name, value);
        if (shape != null) {
            return shape;
        }
        return firstRefusedCharacter(value, false) >= 0 ? ContextRefusal.REFUSED_CHARACTER : null;
    }

    /**
     * {@link #contextRefusal} without the check of the value's characters ({@link ContextRefusal#REFUSED_CHARACTER}),
     * for a caller that has checked every text of the event already (metrics-ingest's validator).
     */
    public static ContextRefusal contextShapeRefusal(String name, String value) {
        if (name == null || name.isEmpty()) {
            return ContextRefusal.EMPTY_NAME;
        }
        if (name.length() > MAX_CONTEXT_NAME_LENGTH) {
            return ContextRefusal.NAME_TOO_LONG;
        }
        if (!isContextName(name)) {
            return ContextRefusal.MALFORMED_NAME;
        }
        if (RESERVED_CONTEXT_NAMES.contains(name)) {
            return ContextRefusal.RESERVED_NAME;
        }
        if (value == null) {
            return ContextRefusal.MISSING_VALUE;
        }
        return value.length() > MAX_CONTEXT_VALUE_LENGTH ? ContextRefusal.VALUE_TOO_LONG : null;
    }

    /** Whether an exposure's flag key or variant is accepted: not blank, at most {@link #MAX_KEY_LENGTH} characters. */
    public static boolean isExposureKey(String value) {
        return value != null && !value.isBlank() && value.length() <= MAX_KEY_LENGTH;
    }

    /**
     * Whether an exposure is accepted as it is: its flag key (one a flag can have, {@link FlagKeys}) and variant, and
     * its flag version when it has one.
     */
    public static boolean isAcceptedExposure(FlagExposure exposure) {
        return isExposureKey(exposure.getFlagKey())
                && FlagKeys.isFlagKey(exposure.getFlagKey())
                && isExposureKey(exposure.getVariant())
                && (exposure.getFlagVersion() == null || exposure.getFlagVersion() >= 0);
    }

    /**
     * Index of the first character of {@code text} that no telemetry text may hold, or -1: a control character
     * (U+0000-U+001F, U+007F-U+009F) or an unpaired surrogate (which has no UTF-8 encoding). Free text (an error
     * message) may keep TAB and LF, because real error messages and stack traces span lines.
     */
    public static int firstRefusedCharacter(String text, boolean freeText) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= ' ' && c < 0x7F) {
                // Printable ASCII, most of every text: neither a control character nor a surrogate.
                continue;
            }
            if (Character.isISOControl(c)) {
                if (freeText && (c == '\t' || c == '\n')) {
                    continue;
                }
                return i;
            }
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                    i++;
                    continue;
                }
                return i;
            }
            if (Character.isLowSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }
}
