package dev.rollguard.console.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.ws.rs.core.MultivaluedMap;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The form of a segment: key, description and constraint rows, turned into the body of {@code POST /api/segments} or
 * {@code PUT /api/segments/{key}}. The flag-service's problems ({@code constraints[1].values}) come back next to the
 * row they name.
 */
public final class SegmentForm {

    private static final Pattern CONSTRAINT = Pattern.compile("^constraints\\[(\\d+)](.*)$");

    private final String key;
    private final String description;
    private final String version;
    private final List<ConstraintRow> rows;
    private final Map<String, String> errors = new LinkedHashMap<>();
    private final List<Integer> sentRows = new ArrayList<>();

    private SegmentForm(String key, String description, String version, List<ConstraintRow> rows) {
        this.key = key == null ? "" : key;
        this.version = version == null ? "" : version;
        this.description = description == null ? "" : description;
        this.rows = rows;
    }

    public static SegmentForm empty() {
        return new SegmentForm("", "", "", new ArrayList<>(List.of(ConstraintRow.empty(0), ConstraintRow.empty(1))));
    }

    public static SegmentForm of(JsonNode segment) {
        List<ConstraintRow> rows = ConstraintRow.of(segment.path("constraints"));
        rows.add(ConstraintRow.empty(rows.size()));
        return new SegmentForm(
                segment.path("key").asText(""),
                segment.path("description").isTextual()
                        ? segment.get("description").asText()
                        : "",
                segment.path("version").isNumber() ? segment.get("version").asText() : "",
                rows);
    }

    /** As submitted; {@code do=add-constraint} and {@code do=remove-constraint:N} as in {@link RuleForm}. */
    public static SegmentForm of(MultivaluedMap<String, String> params) {
        String action = params.getFirst("do") == null ? "" : params.getFirst("do");
        int removed = -1;
        if (action.startsWith("remove-constraint:")) {
            try {
                removed = Integer.parseInt(action.substring("remove-constraint:".length()));
            } catch (NumberFormatException ignored) {
                removed = -1;
            }
        }
        List<ConstraintRow> rows = ConstraintRow.of(params, removed);
        if (action.equals("add-constraint") && rows.size() < ConstraintRow.MAX_ROWS) {
            rows.add(ConstraintRow.empty(rows.size()));
        }
        if (rows.isEmpty()) {
            rows.add(ConstraintRow.empty(0));
        }
        return new SegmentForm(
                params.getFirst("key"), params.getFirst("description"), params.getFirst("version"), rows);
    }

    public ObjectNode toJson(ObjectMapper json) {
        ObjectNode body = json.createObjectNode();
        body.put("key", key.strip());
        if (description.isBlank()) {
            body.putNull("description");
        } else {
            body.put("description", description.strip());
        }
        ArrayNode constraints = body.putArray("constraints");
        sentRows.clear();
        for (ConstraintRow row : rows) {
            if (!row.blank()) {
                constraints.add(row.toJson(json));
                sentRows.add(row.index());
            }
        }
        return body;
    }

    /** Puts the problems next to the rows and fields they name; returns the rest as text. */
    public List<String> addProblems(Map<String, String> problems) {
        List<String> elsewhere = new ArrayList<>();
        problems.forEach((path, message) -> {
            Matcher m = CONSTRAINT.matcher(path);
            if (m.matches() && Integer.parseInt(m.group(1)) < sentRows.size()) {
                rows.get(sentRows.get(Integer.parseInt(m.group(1)))).addProblem(m.group(2), message);
            } else if (path.equals("key") || path.equals("description")) {
                errors.merge(path, message, (a, b) -> a + "; " + b);
            } else {
                elsewhere.add(path + ": " + message);
            }
        });
        return elsewhere;
    }

    public String key() {
        return key;
    }

    /** The version the form was read at, sent as If-Match; empty for a new segment. */
    public String version() {
        return version;
    }

    public String description() {
        return description;
    }

    public List<ConstraintRow> rows() {
        return rows;
    }

    public boolean hasError(String field) {
        return errors.containsKey(field);
    }

    public String error(String field) {
        return errors.get(field);
    }

    Map<String, String> errors() {
        return errors;
    }
}
