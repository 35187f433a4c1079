package dev.rollguard.flag.api;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.validation.ConstraintValidatorContext;
import java.util.Iterator;
import java.util.Map;

/**
 * The one check of client text ({@link CleanText} on bodies, {@link RequestTextFilter} on headers and URLs): no
 * control characters (U+0000-U+001F, U+007F-U+009F) and no unpaired surrogates. PostgreSQL refuses NUL in text, and
 * the other control characters forge log lines and hide text in the audit log. Free text ({@code multiline}) may
 * hold TAB, LF and CR.
 */
public final class TextRules {

    /** The longest actor, token name and Idempotency-Key the audit and idempotency tables hold (VARCHAR(200)). */
    public static final int MAX_NAME = 200;

    private TextRules() {}

    /**
     * What is wrong with {@code value}, as the end of a sentence that starts with the field's name, or null when
     * nothing is (null is clean).
     */
    public static String problem(String value, boolean multiline) {
        if (value == null) {
            return null;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isISOControl(c)) {
                if (multiline && (c == '\t' || c == '\n' || c == '\r')) {
                    continue;
                }
                return "must not contain control characters (U+%04X at position %d)".formatted((int) c, i);
            }
            if (Character.isHighSurrogate(c)
                    && i + 1 < value.length()
                    && Character.isLowSurrogate(value.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return "must be valid Unicode (unpaired surrogate U+%04X at position %d)".formatted((int) c, i);
            }
        }
        return null;
    }

    /** The first problem of any string or member name inside {@code node}, or null. */
    public static String problem(JsonNode node, boolean multiline) {
        if (node == null) {
            return null;
        }
        if (node.isTextual()) {
            return problem(node.textValue(), multiline);
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> member = it.next();
            String found = problem(member.getKey(), multiline);
            if (found == null) {
                found = problem(member.getValue(), multiline);
            }
            if (found != null) {
                return found;
            }
        }
        if (node.isArray()) {
            for (JsonNode element : node) {
                String found = problem(element, multiline);
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }

    /** {@code value} with its control characters written as {@code \}{@code uXXXX}, to quote it in a message. */
    public static String visible(String value) {
        if (value == null) {
            return null;
        }
        StringBuilder out = new StringBuilder(value.length() + 8);
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isISOControl(c)) {
                out.append("\\u%04X".formatted((int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** Reports {@code problem} as the violation's message; true when there is none. */
    public static boolean report(String problem, ConstraintValidatorContext context) {
        if (problem == null) {
            return true;
        }
        context.disableDefaultConstraintViolation();
        context.buildConstraintViolationWithTemplate(problem).addConstraintViolation();
        return false;
    }
}
