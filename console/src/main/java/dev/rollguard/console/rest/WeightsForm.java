package dev.rollguard.console.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import jakarta.ws.rs.core.MultivaluedMap;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The variant-weights editor: one row per variant of the flag other than its off variant ({@code w<row>.variant},
 * {@code w<row>.weight}, a percentage). Rows left empty are not in the split; all empty: no weighted split, the
 * treated subjects get the treatment variant. The flag-service checks the rest (the sum, the variants).
 */
public final class WeightsForm {

    private static final Pattern ROW = Pattern.compile("^variantWeights\\[(\\d+)](.*)$");

    /** One variant and its weight as typed; {@code error} the flag-service's or the form's problem with it. */
    public static final class Row {
        private final int index;
        private final String variant;
        private final String weight;
        private String error;

        Row(int index, String variant, String weight) {
            this.index = index;
            this.variant = variant;
            this.weight = weight;
        }

        public int index() {
            return index;
        }

        public String variant() {
            return variant;
        }

        public String weight() {
            return weight;
        }

        public String error() {
            return error;
        }

        void addError(String message) {
            error = error == null ? message : error + "; " + message;
        }
    }

    private final String version;
    private final List<Row> rows;
    private final List<Integer> sentRows = new ArrayList<>();
    private final List<String> errors = new ArrayList<>();

    private WeightsForm(String version, List<Row> rows) {
        this.version = version == null ? "" : version;
        this.rows = rows;
    }

    /** The rows of a flag: its variants but the off variant, then any weighted variant it no longer lists. */
    public static WeightsForm of(JsonNode flag) {
        Map<String, String> weights = new LinkedHashMap<>();
        String off = flag.path("offVariant").asText("off");
        for (Iterator<String> it = flag.path("variants").fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!name.equals(off)) {
                weights.put(name, "");
            }
        }
        if (weights.isEmpty() && flag.path("treatmentVariant").isTextual()) {
            weights.put(flag.get("treatmentVariant").asText(), "");
        }
        flag.path("variantWeights").forEach(w -> weights.put(w.path("variant").asText(), percent(w.get("weight"))));
        List<Row> rows = new ArrayList<>();
        weights.forEach((variant, weight) -> rows.add(new Row(rows.size(), variant, weight)));
        return new WeightsForm(flag.path("version").asText(""), rows);
    }

    public static WeightsForm of(MultivaluedMap<String, String> params) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < ConstraintRow.MAX_ROWS; i++) {
            String variant = params.getFirst("w" + i + ".variant");
            if (variant == null) {
                continue;
            }
            String weight = params.getFirst("w" + i + ".weight");
            rows.add(new Row(rows.size(), variant, weight == null ? "" : weight.strip()));
        }
        return new WeightsForm(params.getFirst("version"), rows);
    }

    /** {@code variantWeights} for the merge patch; null when a weight is not a number. */
    public ArrayNode toJson(ObjectMapper json) {
        ArrayNode array = json.createArrayNode();
        sentRows.clear();
        boolean readable = true;
        for (Row row : rows) {
            if (row.weight().isEmpty()) {
                continue;
            }
            try {
                BigDecimal weight = new BigDecimal(row.weight());
                array.addObject().put("variant", row.variant()).put("weight", weight);
                sentRows.add(row.index());
            } catch (NumberFormatException e) {
                row.addError("must be a percentage, such as 50 or 33.33");
                readable = false;
            }
        }
        return readable ? array : null;
    }

    /** Puts the problems next to the variants they name; the others (the sum, say) above the form. */
    public void addProblems(Map<String, String> problems) {
        problems.forEach((path, message) -> {
            Matcher m = ROW.matcher(path);
            if (m.matches() && Integer.parseInt(m.group(1)) < sentRows.size()) {
                rows.get(sentRows.get(Integer.parseInt(m.group(1)))).addError(message);
            } else {
                errors.add(path.equals("variantWeights") ? message : path + ": " + message);
            }
        });
    }

    /** Every problem in words: each row's, named by its variant, then the others. */
    public List<String> problemLines() {
        List<String> lines = new ArrayList<>();
        rows.stream().filter(r -> r.error() != null).forEach(r -> lines.add(r.variant() + ": " + r.error()));
        lines.addAll(errors);
        return lines;
    }

    public String version() {
        return version;
    }

    public List<Row> rows() {
        return rows;
    }

    public List<String> errors() {
        return errors;
    }

    private static String percent(JsonNode value) {
        return value == null || !value.isNumber()
                ? ""
                : new BigDecimal(value.asText()).stripTrailingZeros().toPlainString();
    }
}
