package dev.rollguard.rollback.rest;

/**
 * Text PostgreSQL can store and compare: no control character (U+0000-U+001F, U+007F-U+009F) and no unpaired
 * surrogate. A NUL in a filter would otherwise reach a query and fail there with a 500. Every text a request brings
 * in is checked with it ({@link ParameterTextFilter}); a refused one is answered 400 {@code INVALID_CHARACTER}.
 */
public final class CleanText {

    private CleanText() {}

    /** Index of the first refused character, or -1 when the text is clean. */
    public static int firstRefused(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isISOControl(c)) {
                return i;
            }
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }

    /** Why the text is refused, without repeating it. */
    public static String describe(String text, int index) {
        return "contains the character U+%04X at position %d: control characters are not accepted"
                .formatted((int) text.charAt(index), index);
    }
}
