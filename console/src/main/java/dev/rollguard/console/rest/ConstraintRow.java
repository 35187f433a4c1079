package dev.rollguard.console.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollguard.console.view.ConstraintText;
import jakarta.ws.rs.core.MultivaluedMap;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One constraint row of a rule or segment form, as typed: attribute, operator, values one per line, negate and
 * ignore-case. Its inputs are named {@code c<row>.<field>}; the flag-service's problems about it are kept per field
 * ({@code ""} for the row as a whole) and shown next to it.
 */
public final class ConstraintRow {

    /** The most rows a form reads: more than any sensible rule, few enough to bound the work of a forged form. */
    static final int MAX_ROWS = 50;

    private final int index;
    private final String attribute;
    private final String operator;
    private final String values;
    private final boolean negate;
    private final boolean caseInsensitive;
    private final Map<String, String> errors = new LinkedHashMap<>();

    ConstraintRow(
            int index, String attribute, String operator, String values, boolean negate, boolean caseInsensitive) {
        this.index = index;
        this.attribute = attribute == null ? "" : attribute;
        this.operator = operator == null || operator.isBlank() ? "IN" : operator;
        this.values = values == null ? "" : values;
        this.negate = negate;
        this.caseInsensitive = caseInsensitive;
    }

    static ConstraintRow empty(int index) {
        return new ConstraintRow(index, "", "IN", "", false, false);
    }

    /** The rows of a submitted form, renumbered from 0, without the one {@code removed} (-1: none). */
    static List<ConstraintRow> of(MultivaluedMap<String, String> params, int removed) {
        List<ConstraintRow> rows = new ArrayList<>();
        for (int i = 0; i < MAX_ROWS; i++) {
            String p = "c" + i + ".";
            if (!params.containsKey(p + "attribute") && !params.containsKey(p + "values")) {
                continue;
            }
            if (i == removed) {
                continue;
            }
            rows.add(new ConstraintRow(
                    rows.size(),
                    params.getFirst(p + "attribute"),
                    params.getFirst(p + "operator"),
                    params.getFirst(p + "values"),
                    present(params.getFirst(p + "negate")),
                    present(params.getFirst(p + "caseInsensitive"))));
        }
        return rows;
    }

    /** The rows of stored constraints (the API's JSON). */
    static List<ConstraintRow> of(JsonNode constraints) {
        List<ConstraintRow> rows = new ArrayList<>();
        for (JsonNode c : constraints) {
            StringBuilder values = new StringBuilder();
            c.path("values").forEach(v -> values.append(v.asText()).append('\n'));
            rows.add(new ConstraintRow(
                    rows.size(),
                    c.path("attribute").asText(""),
                    c.path("operator").asText("IN"),
                    values.toString(),
                    c.path("negate").asBoolean(false),
                    c.path("caseInsensitive").asBoolean(false)));
        }
        return rows;
    }

    /** A row left empty is not a constraint: it is dropped from the request. */
    public boolean blank() {
        return attribute.isBlank() && values.isBlank();
    }

    ObjectNode toJson(ObjectMapper json) {
        ObjectNode c = json.createObjectNode();
        c.put("attribute", attribute.strip());
        c.put("operator", operator);
        var array = c.putArray("values");
        values.lines().map(String::strip).filter(v -> !v.isEmpty()).forEach(array::add);
        c.put("negate", negate);
        c.put("caseInsensitive", caseInsensitive);
        return c;
    }

    /** Puts a problem whose path, after {@code constraints[i]}, is {@code rest} (".values", "" ...). */
    void addProblem(String rest, String message) {
        String field = rest.startsWith(".") ? rest.substring(1).split("[.\\[]", 2)[0] : "";
        if (!List.of("attribute", "operator", "values", "negate", "caseInsensitive")
                .contains(field)) {
            field = "";
        }
        errors.merge(field, message, (a, b) -> a + "; " + b);
    }

    public List<ConstraintText.Operator> operators() {
        return ConstraintText.OPERATOR_CHOICES;
    }

    public int index() {
        return index;
    }

    public String attribute() {
        return attribute;
    }

    public String operator() {
        return operator;
    }

    public String values() {
        return values;
    }

    public boolean negate() {
        return negate;
    }

    public boolean caseInsensitive() {
        return caseInsensitive;
    }

    public boolean hasError(String field) {
        return errors.containsKey(field);
    }

    public String error(String field) {
        return errors.get(field);
    }

    public boolean invalid() {
        return !errors.isEmpty();
    }

    /** Every problem of the row, the field named, for the line under it. */
    public List<String> problems() {
        List<String> all = new ArrayList<>();
        errors.forEach((field, message) -> all.add(field.isEmpty() ? message : field + ": " + message));
        return all;
    }

    private static boolean present(String checkbox) {
        return checkbox != null && !checkbox.isBlank();
    }
}
