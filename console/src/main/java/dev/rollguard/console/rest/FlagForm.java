package dev.rollguard.console.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollguard.console.view.FlagView;
import jakarta.ws.rs.core.MultivaluedMap;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The create/edit form: the operator's input as typed (so it is shown back unchanged next to its errors), turned
 * into the flag-service's request document. Only the shape is checked here (is it a number, is it JSON); every rule
 * about flags is the flag-service's, and its violations are shown next to the fields they name.
 */
public final class FlagForm {

    /** Form fields, named like the API's fields so that a violation's field finds its input. */
    public static final List<String> FIELDS = List.of(
            "key",
            "description",
            "owner",
            "type",
            "enabled",
            "parent",
            "allowList",
            "denyList",
            "rolloutPercentage",
            "variants",
            "treatmentVariant",
            "offVariant",
            "stages",
            "guardAction",
            "guardDryRun",
            "guardCooldownSeconds");

    private final Map<String, String> values = new LinkedHashMap<>();
    private final Map<String, String> errors = new LinkedHashMap<>();
    private String version = "";

    public static FlagForm empty() {
        FlagForm form = new FlagForm();
        form.values.put("type", "BOOLEAN");
        form.values.put("rolloutPercentage", "0");
        form.values.put("guardAction", "KILL");
        form.values.put("guardCooldownSeconds", "300");
        return form;
    }

    public static FlagForm of(MultivaluedMap<String, String> params) {
        FlagForm form = new FlagForm();
        for (String field : FIELDS) {
            String value = params.getFirst(field);
            form.values.put(field, value == null ? "" : value);
        }
        String version = params.getFirst("version");
        form.version = version == null ? "" : version;
        return form;
    }

    public static FlagForm of(FlagView flag) {
        FlagForm form = new FlagForm();
        JsonNode raw = flag.raw();
        form.values.put("key", flag.key());
        form.values.put("description", nullToEmpty(flag.description()));
        form.values.put("owner", nullToEmpty(flag.owner()));
        form.values.put("type", nullToEmpty(flag.type()));
        form.values.put("enabled", flag.enabled() ? "on" : "");
        form.values.put("parent", nullToEmpty(flag.parent()));
        form.values.put("allowList", lines(raw.path("allowList")));
        form.values.put("denyList", lines(raw.path("denyList")));
        form.values.put("rolloutPercentage", flag.rolloutPercentage());
        form.values.put(
                "variants",
                raw.path("variants").isObject() ? raw.get("variants").toPrettyString() : "");
        form.values.put(
                "treatmentVariant",
                nullToEmpty(flag.raw().path("treatmentVariant").asText("")));
        form.values.put("offVariant", nullToEmpty(flag.raw().path("offVariant").asText("")));
        StringBuilder stages = new StringBuilder();
        flag.stages().forEach(s -> stages.append(s.name())
                .append(' ')
                .append(s.percentage())
                .append(' ')
                .append(s.minSoakSeconds())
                .append('\n'));
        form.values.put("stages", stages.toString());
        form.values.put("guardAction", nullToEmpty(flag.guardAction()));
        form.values.put("guardDryRun", flag.guardDryRun() ? "on" : "");
        form.values.put("guardCooldownSeconds", Long.toString(flag.guardCooldownSeconds()));
        form.version = Long.toString(flag.version());
        return form;
    }

    public String value(String field) {
        return values.getOrDefault(field, "");
    }

    public boolean checked(String field) {
        return !value(field).isBlank();
    }

    public String error(String field) {
        return errors.get(field);
    }

    public boolean hasError(String field) {
        return errors.containsKey(field);
    }

    public Map<String, String> errors() {
        return errors;
    }

    public String version() {
        return version;
    }

    public String key() {
        return value("key").strip();
    }

    /** The request document; null when the input could not even be shaped into one (see {@link #errors()}). */
    public ObjectNode toRequest(ObjectMapper json, boolean includeKey) {
        ObjectNode body = json.createObjectNode();
        if (includeKey) {
            body.put("key", key());
        }
        text(body, "description");
        text(body, "owner");
        text(body, "type");
        body.put("enabled", checked("enabled"));
        String parent = value("parent").strip();
        if (parent.isEmpty()) {
            body.putNull("parent");
        } else {
            body.put("parent", parent);
        }
        body.set("allowList", list(json, value("allowList")));
        body.set("denyList", list(json, value("denyList")));
        BigDecimal rollout = number("rolloutPercentage");
        if (rollout != null) {
            body.put("rolloutPercentage", rollout);
        }
        String variants = value("variants").strip();
        if (!variants.isEmpty()) {
            try {
                JsonNode parsed = json.readTree(variants);
                if (parsed.isObject()) {
                    body.set("variants", parsed);
                } else {
                    errors.put("variants", "must be a JSON object of variant name to value");
                }
            } catch (JsonProcessingException e) {
                errors.put("variants", "is not valid JSON: " + e.getOriginalMessage());
            }
        }
        text(body, "treatmentVariant");
        text(body, "offVariant");
        body.set("stages", stages(json));
        ObjectNode guard = json.createObjectNode();
        if (!value("guardAction").isBlank()) {
            guard.put("action", value("guardAction"));
        }
        guard.put("dryRun", checked("guardDryRun"));
        BigDecimal cooldown = number("guardCooldownSeconds");
        if (cooldown != null) {
            try {
                guard.put("cooldownSeconds", cooldown.longValueExact());
            } catch (ArithmeticException e) {
                errors.put("guardCooldownSeconds", "must be a whole number of seconds");
            }
        }
        body.set("guardPolicy", guard);
        return errors.isEmpty() ? body : null;
    }

    /** Puts the flag-service's violations next to the inputs they name; unknown fields go to the whole form. */
    public String addViolations(Map<String, String> violations) {
        StringBuilder unplaced = new StringBuilder();
        violations.forEach((field, message) -> {
            String input = input(field);
            if (input != null) {
                errors.merge(input, message(field, input, message), (a, b) -> a + "; " + b);
            } else {
                unplaced.append(field).append(' ').append(message).append(". ");
            }
        });
        return unplaced.toString().strip();
    }

    private static String message(String field, String input, String message) {
        // "stages[1].percentage must be ..." keeps which line of the plan is meant.
        return field.equals(input) ? message : field + ": " + message;
    }

    private static String input(String field) {
        String head = field.split("[.\\[]", 2)[0];
        if (head.equals("guardPolicy")) {
            if (field.contains("cooldown")) {
                return "guardCooldownSeconds";
            }
            return field.contains("dryRun") ? "guardDryRun" : "guardAction";
        }
        return FIELDS.contains(head) ? head : null;
    }

    private void text(ObjectNode body, String field) {
        String value = value(field).strip();
        if (!value.isEmpty()) {
            body.put(field, value);
        }
    }

    private BigDecimal number(String field) {
        String value = value(field).strip();
        if (value.isEmpty()) {
            return null;
        }
        try {
            return new BigDecimal(value);
        } catch (NumberFormatException e) {
            errors.put(field, "must be a number");
            return null;
        }
    }

    private static ArrayNode list(ObjectMapper json, String text) {
        ArrayNode array = json.createArrayNode();
        text.lines().map(String::strip).filter(s -> !s.isEmpty()).forEach(array::add);
        return array;
    }

    /** One stage per line: {@code name percentage [minSoakSeconds]}. */
    private ArrayNode stages(ObjectMapper json) {
        ArrayNode array = json.createArrayNode();
        int line = 0;
        for (String raw : value("stages").lines().toList()) {
            line++;
            String[] parts = raw.strip().split("\\s+");
            if (raw.isBlank()) {
                continue;
            }
            if (parts.length < 2 || parts.length > 3) {
                errors.put("stages", "line " + line + ": write 'name percentage [soak seconds]'");
                continue;
            }
            try {
                ObjectNode stage = array.addObject();
                stage.put("name", parts[0]);
                stage.put("percentage", new BigDecimal(parts[1]));
                if (parts.length == 3) {
                    stage.put("minSoakSeconds", Long.parseLong(parts[2]));
                }
            } catch (NumberFormatException e) {
                errors.put("stages", "line " + line + ": percentage and soak seconds must be numbers");
            }
        }
        return array;
    }

    private static String lines(JsonNode array) {
        StringBuilder text = new StringBuilder();
        array.forEach(v -> text.append(v.asText()).append('\n'));
        return text.toString();
    }

    private static String nullToEmpty(String value) {
        return value == null ? "" : value;
    }
}
