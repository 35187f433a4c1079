package dev.rollguard.flag.api;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/**
 * Numbers a double holds. Jackson reads a JSON number beyond a double's range ({@code 1e400}, {@code -1e400}) into a
 * {@code DoubleNode} of infinity, and writes that back as the string {@code "Infinity"}: a NUMBER variant would be
 * stored and served as a string, which no client reads as a number and no later edit accepts. So a value of a request
 * that is read as a JSON tree (variants, the preview's and OFREP's context) is refused when it holds one. The typed
 * fields are safe without this: percentages and weights are {@code BigDecimal} (their bounds refuse it), counts and
 * durations whole numbers.
 */
public final class FiniteNumbers {

    /** What a refusal says, after the field. */
    public static final String MESSAGE = "must be a number within the range of a double (at most about 1.8e308 either"
            + " way): it would be stored and served as \"Infinity\"";

    private FiniteNumbers() {}

    /**
     * Where in {@code value} the first number beyond a double's range is, as a path to append to the value's field
     * ({@code ""} for the value itself, {@code .limits[0]} inside it); null when it holds none.
     */
    public static String outOfRange(JsonNode value) {
        if (value == null) {
            return null;
        }
        if (value.isNumber()) {
            return value.isFloatingPointNumber() && !Double.isFinite(value.doubleValue()) ? "" : null;
        }
        if (value.isArray()) {
            for (int i = 0; i < value.size(); i++) {
                String inside = outOfRange(value.get(i));
                if (inside != null) {
                    return "[" + i + "]" + inside;
                }
            }
        } else if (value.isObject()) {
            for (Map.Entry<String, JsonNode> member : value.properties()) {
                String inside = outOfRange(member.getValue());
                if (inside != null) {
                    return "." + TextRules.visible(member.getKey()) + inside;
                }
            }
        }
        return null;
    }
}
