package dev.rollguard.console.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.ws.rs.core.MultivaluedMap;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The form of one targeting rule, as typed: id, description, segments, constraint rows, and what it serves (a variant,
 * or its own share of the treatment). Turned into the rule of the flag-service's flag document; the flag-service's
 * problems ({@code rules[2].constraints[1].values}) come back next to the field and row they name. Only the shape is
 * checked here (is the share a number); every rule about targeting is the flag-service's.
 */
public final class RuleForm {

    private static final Pattern CONSTRAINT = Pattern.compile("^\\.constraints\\[(\\d+)](.*)$");

    private final String original;
    private final String version;
    private final String id;
    private final String description;
    private final String segments;
    private final String serves;
    private final String variant;
    private final String rolloutPercentage;
    private final List<ConstraintRow> rows;
    private final Map<String, String> errors = new LinkedHashMap<>();
    /** Which form row each constraint of the request came from (blank rows are not sent). */
    private final List<Integer> sentRows = new ArrayList<>();

    private RuleForm(
            String original,
            String version,
            String id,
            String description,
            String segments,
            String serves,
            String variant,
            String rolloutPercentage,
            List<ConstraintRow> rows) {
        this.original = nullToEmpty(original);
        this.version = nullToEmpty(version);
        this.id = nullToEmpty(id);
        this.description = nullToEmpty(description);
        this.segments = nullToEmpty(segments);
        this.serves = "variant".equals(serves) ? "variant" : "share";
        this.variant = nullToEmpty(variant);
        this.rolloutPercentage = nullToEmpty(rolloutPercentage);
        this.rows = rows;
    }

    /** A new rule: two empty constraint rows, serving the treatment to every matching subject. */
    public static RuleForm empty(long version) {
        return new RuleForm(
                "",
                Long.toString(version),
                "",
                "",
                "",
                "share",
                "",
                "100",
                new ArrayList<>(List.of(ConstraintRow.empty(0), ConstraintRow.empty(1))));
    }

    public static RuleForm of(JsonNode rule, long version) {
        List<String> segments = new ArrayList<>();
        rule.path("segments").forEach(s -> segments.add(s.asText()));
        List<ConstraintRow> rows = ConstraintRow.of(rule.path("constraints"));
        rows.add(ConstraintRow.empty(rows.size()));
        String variant = rule.path("variant").isTextual() ? rule.get("variant").asText() : "";
        JsonNode share = rule.get("rolloutPercentage");
        return new RuleForm(
                rule.path("id").asText(""),
                Long.toString(version),
                rule.path("id").asText(""),
                rule.path("description").isTextual() ? rule.get("description").asText() : "",
                String.join(", ", segments),
                variant.isEmpty() ? "share" : "variant",
                variant,
                share == null || share.isNull() ? "100" : share.asText(),
                rows);
    }

    /**
     * The form as submitted. {@code do=add-constraint} adds an empty row, {@code do=remove-constraint:N} drops row N:
     * both re-show the form without sending anything, so rows can be added and removed without JavaScript.
     */
    public static RuleForm of(MultivaluedMap<String, String> params) {
        String action = nullToEmpty(params.getFirst("do"));
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
        return new RuleForm(
                params.getFirst("original"),
                params.getFirst("version"),
                params.getFirst("id"),
                params.getFirst("description"),
                params.getFirst("segments"),
                params.getFirst("serves"),
                params.getFirst("variant"),
                params.getFirst("rolloutPercentage"),
                rows);
    }

    /** The rule of the flag document; null when the input could not be shaped into one (see the errors). */
    public ObjectNode toJson(ObjectMapper json) {
        ObjectNode rule = json.createObjectNode();
        rule.put("id", id.strip());
        if (description.isBlank()) {
            rule.putNull("description");
        } else {
            rule.put("description", description.strip());
        }
        ArrayNode segmentKeys = rule.putArray("segments");
        segmentKeys().forEach(segmentKeys::add);
        ArrayNode constraints = rule.putArray("constraints");
        sentRows.clear();
        for (ConstraintRow row : rows) {
            if (!row.blank()) {
                constraints.add(row.toJson(json));
                sentRows.add(row.index());
            }
        }
        if (serves.equals("variant")) {
            if (variant.isBlank()) {
                errors.put("variant", "choose the variant the rule serves");
            }
            rule.put("variant", variant.strip());
            rule.putNull("rolloutPercentage");
        } else {
            rule.putNull("variant");
            try {
                rule.put(
                        "rolloutPercentage",
                        new BigDecimal(rolloutPercentage.isBlank() ? "100" : rolloutPercentage.strip()));
            } catch (NumberFormatException e) {
                errors.put("rolloutPercentage", "must be a number from 0 to 100");
            }
        }
        return errors.isEmpty() ? rule : null;
    }

    /**
     * Puts the flag-service's problems about this rule (paths under {@code prefix}, e.g. {@code rules[2]}) next to the
     * field or constraint row they name; the others (another rule, the whole flag) come back as text for the page.
     */
    public List<String> addProblems(String prefix, Map<String, String> problems) {
        List<String> elsewhere = new ArrayList<>();
        problems.forEach((path, message) -> {
            if (!path.startsWith(prefix + ".") && !path.equals(prefix)) {
                elsewhere.add(path + ": " + message);
                return;
            }
            String rest = path.substring(prefix.length());
            Matcher m = CONSTRAINT.matcher(rest);
            if (m.matches()) {
                int sent = Integer.parseInt(m.group(1));
                if (sent < sentRows.size()) {
                    rows.get(sentRows.get(sent)).addProblem(m.group(2), message);
                    return;
                }
            }
            String field = rest.startsWith(".") ? rest.substring(1).split("[.\\[]", 2)[0] : "";
            if (List.of("id", "description", "segments", "variant", "rolloutPercentage")
                    .contains(field)) {
                errors.merge(field, message, (a, b) -> a + "; " + b);
            } else {
                errors.merge("rule", message, (a, b) -> a + "; " + b);
            }
        });
        return elsewhere;
    }

    /** Every problem placed on this form, in words, for a place that shows them as a list (the preview). */
    public List<String> problemLines() {
        List<String> lines = new ArrayList<>();
        errors.forEach((field, message) -> lines.add(field.equals("rule") ? message : field + ": " + message));
        for (ConstraintRow row : rows) {
            row.problems().forEach(p -> lines.add("constraint " + (row.index() + 1) + ", " + p));
        }
        return lines;
    }

    public List<String> segmentKeys() {
        return Arrays.stream(segments.split("[,\\s]+"))
                .map(String::strip)
                .filter(s -> !s.isEmpty())
                .toList();
    }

    public boolean creating() {
        return original.isEmpty();
    }

    public String original() {
        return original;
    }

    public String version() {
        return version;
    }

    public String id() {
        return id;
    }

    public String description() {
        return description;
    }

    public String segments() {
        return segments;
    }

    public String serves() {
        return serves;
    }

    public String variant() {
        return variant;
    }

    public String rolloutPercentage() {
        return rolloutPercentage;
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

    public boolean invalid() {
        return !errors.isEmpty() || rows.stream().anyMatch(ConstraintRow::invalid);
    }

    private static String nullToEmpty(String value) {
        return value == null ? "" : value;
    }
}
