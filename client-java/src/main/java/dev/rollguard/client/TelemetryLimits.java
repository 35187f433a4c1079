package dev.rollguard.client;

import java.util.Set;
import java.util.regex.Pattern;

/**
 * What metrics-ingest accepts in one event (docs/contracts.md), so that the client does not build an event the
 * receiver would refuse for a part the client can mend: an error message is made clean and cut, exposures are capped
 * ({@link Exposures#MAX_PER_EVENT}), context attributes are checked.
 */
final class TelemetryLimits {

    /** Longest error message accepted. */
    static final int MAX_ERROR_MESSAGE_LENGTH = 2048;
    /** Most context attributes accepted on one event. */
    static final int MAX_CONTEXT_ATTRIBUTES = 32;
    /** Longest context attribute name. */
    static final int MAX_CONTEXT_NAME_LENGTH = 64;
    /** Longest context attribute value. */
    static final int MAX_CONTEXT_VALUE_LENGTH = 256;

    private static final Pattern CONTEXT_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]*");
    /** Attributes the event carries in fields of their own. */
    private static final Set<String> RESERVED_CONTEXT_NAMES = Set.of("targetingKey", "platform", "appVersion");

    private static final char ELLIPSIS = '\u2026';

    private TelemetryLimits() {}

    /**
     * {@code message} as the receiver accepts it: a line break CR LF or a lone CR becomes LF, any other control
     * character but TAB and LF becomes a space, an unpaired surrogate becomes U+FFFD, and a message longer than 2048
     * characters is cut to 2047 and ends with an ellipsis. A failure's message is worth more cut than refused.
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
        if (text.length() <= MAX_ERROR_MESSAGE_LENGTH) {
            return text;
        }
        int end = MAX_ERROR_MESSAGE_LENGTH - 1;
        if (Character.isHighSurrogate(text.charAt(end - 1))) {
            end--; // never split a pair: half of one is refused
        }
        return text.substring(0, end) + ELLIPSIS;
    }

    /** Why the receiver would refuse the context attribute {@code name} = {@code value}; null when it accepts it. */
    static String contextRefusal(String name, String value) {
        if (name == null || name.isEmpty()) {
            return "an attribute name is empty";
        }
        if (name.length() > MAX_CONTEXT_NAME_LENGTH) {
            return "its name is longer than " + MAX_CONTEXT_NAME_LENGTH + " characters";
        }
        if (!CONTEXT_NAME.matcher(name).matches()) {
            return "its name must start with a letter or '_' and hold only letters, digits, '_', '.' and '-'";
        }
        if (RESERVED_CONTEXT_NAMES.contains(name)) {
            return "it is carried by the event's own field (targetingKey is the userId, else the clientId)";
        }
        if (value == null) {
            return "it has no value";
        }
        if (value.length() > MAX_CONTEXT_VALUE_LENGTH) {
            return "its value is longer than " + MAX_CONTEXT_VALUE_LENGTH + " characters";
        }
        if (!clean(value)) {
            return "its value holds a control character or an unpaired surrogate";
        }
        return null;
    }

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

    /** Whether {@code text} holds no control character and no unpaired surrogate (a one-line text field). */
    private static boolean clean(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isISOControl(c) || Character.isLowSurrogate(c)) {
                return false;
            }
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= text.length() || !Character.isLowSurrogate(text.charAt(i + 1))) {
                    return false;
                }
                i++;
            }
        }
        return true;
    }
}
