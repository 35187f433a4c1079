package dev.rollguard.console.view;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A targeting constraint as an operator reads it: {@code appVersion semver >= 4.2.0}, {@code not platform in [IOS]},
 * {@code email ends with "@example.com" (ignoring case)}. The operators are the ones of the flag event's
 * {@code ConstraintOperator}; one the console does not know is shown by its name.
 */
public final class ConstraintText {

    /** The operators in the order the forms offer them, each with its label. */
    public static final Map<String, String> OPERATORS = ordered(
            "IN", "in",
            "NOT_IN", "not in",
            "STR_STARTS_WITH", "starts with",
            "STR_ENDS_WITH", "ends with",
            "STR_CONTAINS", "contains",
            "MATCHES", "matches (regex)",
            "NUM_EQ", "=",
            "NUM_LT", "<",
            "NUM_LTE", "<=",
            "NUM_GT", ">",
            "NUM_GTE", ">=",
            "SEMVER_EQ", "semver =",
            "SEMVER_LT", "semver <",
            "SEMVER_LTE", "semver <=",
            "SEMVER_GT", "semver >",
            "SEMVER_GTE", "semver >=",
            "DATE_BEFORE", "before",
            "DATE_AFTER", "after");

    /** An operator and its label, for the forms' choice. */
    public record Operator(String name, String label) {}

    /** {@link #OPERATORS} as a list, for the forms. */
    public static final List<Operator> OPERATOR_CHOICES = OPERATORS.entrySet().stream()
            .map(e -> new Operator(e.getKey(), e.getValue()))
            .toList();

    private ConstraintText() {}

    public static String of(JsonNode constraint) {
        List<String> values = new ArrayList<>();
        constraint.path("values").forEach(v -> values.add(v.asText()));
        return of(
                constraint.path("attribute").asText(""),
                constraint.path("operator").asText(""),
                values,
                constraint.path("negate").asBoolean(false),
                constraint.path("caseInsensitive").asBoolean(false));
    }

    public static String of(
            String attribute, String operator, List<String> values, boolean negate, boolean caseInsensitive) {
        String label = OPERATORS.getOrDefault(operator, operator);
        String shown =
                switch (operator) {
                    case "IN", "NOT_IN" -> "[" + String.join(", ", values) + "]";
                    case "STR_STARTS_WITH", "STR_ENDS_WITH", "STR_CONTAINS" ->
                        values.size() == 1 ? quoted(values.get(0)) : "any of " + quotedList(values);
                    case "MATCHES" -> values.size() == 1 ? "/" + values.get(0) + "/" : quotedList(values);
                    default -> values.size() == 1 ? values.get(0) : "[" + String.join(", ", values) + "]";
                };
        return (negate ? "not " : "") + attribute + " " + label + " " + shown
                + (caseInsensitive ? " (ignoring case)" : "");
    }

    private static String quoted(String value) {
        return "\"" + value + "\"";
    }

    private static String quotedList(List<String> values) {
        return "["
                + String.join(", ", values.stream().map(ConstraintText::quoted).toList()) + "]";
    }

    private static Map<String, String> ordered(String... pairs) {
        Map<String, String> map = new java.util.LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put(pairs[i], pairs[i + 1]);
        }
        return java.util.Collections.unmodifiableMap(map);
    }
}
