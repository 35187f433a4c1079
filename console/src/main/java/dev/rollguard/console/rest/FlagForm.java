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
import java.util.Locale;
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
    /** The stages box as the edit page showed it; null on a create, or when the form did not carry it. */
    private String stagesBefore;

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
        form.stagesBefore = params.getFirst("stagesBefore");
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
        String stages = stageLines(raw.path("stages"));
        form.values.put("stages", stages);
        form.stagesBefore = stages;
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

    /** The stages box as the edit page first showed it, sent back so that an untouched plan is not sent. */
    public String stagesBefore() {
        return stagesBefore == null ? "" : stagesBefore;
    }

    public String key() {
        return value("key").strip();
    }

    /**
     * The request document; null when the input could not even be shaped into one (see {@link #errors()}). A create
     * ({@code creating}) carries the key and leaves out what is blank, so the flag-service's defaults apply (its
     * default rollout plan among them). An edit is a merge patch: a blank description or owner removes it, and the
     * plan is sent only when the stages box changed, because a patch of {@code stages} replaces the whole plan.
     */
    public ObjectNode toRequest(ObjectMapper json, boolean creating) {
        ObjectNode body = json.createObjectNode();
        if (creating) {
            body.put("key", key());
            text(body, "description");
            text(body, "owner");
        } else {
            textOrNull(body, "description");
            textOrNull(body, "owner");
        }
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
        plan(json, body, creating);
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

    private void plan(ObjectMapper json, ObjectNode body, boolean creating) {
        String box = value("stages");
        boolean none = box.isBlank() || box.strip().equalsIgnoreCase("none");
        if (creating) {
            if (box.isBlank()) {
                return;
            }
            body.set("stages", none ? json.createArrayNode() : stages(json, box, errors));
            return;
        }
        if (stagesBefore == null) {
            // A page of the console before the box carried every stage field: its box holds the plan in the short
            // form (name, share, soak), and sending it would drop promotion, minimums and tolerances. An edit from
            // such a page leaves the plan as it is stored.
            return;
        }
        if (normalised(box).equals(normalised(stagesBefore))) {
            return;
        }
        if (none) {
            // Off the plan: the share is set by hand from now on.
            body.set("stages", json.createArrayNode());
            body.putNull("currentStage");
        } else {
            body.set("stages", stages(json, box, errors));
        }
    }

    private static String normalised(String stages) {
        StringBuilder text = new StringBuilder();
        stages.lines()
                .map(line -> line.strip().replaceAll("\\s+", " "))
                .filter(line -> !line.isEmpty())
                .forEach(line -> text.append(line).append('\n'));
        return text.toString();
    }

    private void textOrNull(ObjectNode body, String field) {
        String value = value(field).strip();
        if (value.isEmpty()) {
            body.putNull(field);
        } else {
            body.put(field, value);
        }
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

    /** The plan as the stages box writes it, one stage per line (see {@link #stages}). */
    static String stageLines(JsonNode stages) {
        StringBuilder text = new StringBuilder();
        for (JsonNode stage : stages) {
            text.append(stage.path("name").asText())
                    .append(' ')
                    .append(stage.path("percentage")
                            .decimalValue()
                            .stripTrailingZeros()
                            .toPlainString());
            if (!stage.hasNonNull("minSoakSeconds")) {
                // Without a soak after it, a bare percentage after a name ending in a number ("wave 2 10") would read
                // as percentage and soak.
                text.append('%');
            }
            if (stage.hasNonNull("minSoakSeconds")) {
                text.append(' ').append(stage.get("minSoakSeconds").asLong());
            }
            if (stage.hasNonNull("promotion")) {
                text.append(' ').append(stage.get("promotion").asText().toLowerCase(Locale.ROOT));
            }
            if (stage.hasNonNull("minClientsPerCohort")) {
                text.append(" clients=").append(stage.get("minClientsPerCohort").asLong());
            }
            if (stage.hasNonNull("tolerancePercent")) {
                text.append(" tolerance=").append(stage.get("tolerancePercent").asInt());
            }
            text.append('\n');
        }
        return text.toString();
    }

    /**
     * One stage per line: {@code name percentage [soak seconds] [auto|manual] [clients=N] [tolerance=N]}. What a line
     * leaves out takes the flag-service's default. A stage's name may hold spaces ("early adopters"), so a line is read
     * from the right: the keyword options, then the soak (a bare number only when two numbers end the line), then the
     * percentage ({@code 10} or {@code 10%}); what is left is the name.
     */
    static ArrayNode stages(ObjectMapper json, String box, Map<String, String> errors) {
        ArrayNode array = json.createArrayNode();
        int line = 0;
        for (String raw : box.lines().toList()) {
            line++;
            if (raw.isBlank()) {
                continue;
            }
            try {
                ObjectNode stage = stage(json, raw.strip());
                if (stage == null) {
                    errors.put("stages", "line " + line + ": " + STAGE_LINE);
                } else {
                    array.add(stage);
                }
            } catch (NotUnderstood e) {
                errors.put("stages", "line " + line + ": '" + e.getMessage() + "' is not understood; " + STAGE_LINE);
            } catch (NumberFormatException e) {
                errors.put("stages", "line " + line + ": percentage, soak, clients and tolerance must be numbers");
            }
        }
        return array;
    }

    /** One line of the stages box as a stage, or null when it has no name or no percentage. */
    private static ObjectNode stage(ObjectMapper json, String line) {
        ObjectNode stage = json.createObjectNode();
        String rest = line;
        String token = lastToken(rest);
        while (token != null && option(stage, token)) {
            rest = withoutLastToken(rest);
            token = lastToken(rest);
        }
        if (token == null || !isPercentage(token)) {
            if (token != null && withoutLastToken(rest).isEmpty()) {
                return null;
            }
            throw new NotUnderstood(token == null ? line : token);
        }
        String before = withoutLastToken(rest);
        String previous = lastToken(before);
        if (!stage.has("minSoakSeconds")
                && isDigits(token)
                && previous != null
                && isPercentage(previous)
                && !withoutLastToken(before).isEmpty()) {
            stage.put("minSoakSeconds", Long.parseLong(token));
            rest = before;
            token = previous;
        }
        String name = withoutLastToken(rest);
        if (name.isEmpty()) {
            return null;
        }
        ObjectNode ordered = json.createObjectNode();
        ordered.put("name", name);
        ordered.put("percentage", new BigDecimal(token.endsWith("%") ? token.substring(0, token.length() - 1) : token));
        ordered.setAll(stage);
        return ordered;
    }

    /** Reads {@code token} into {@code stage} when it is a keyword option; false when it is not one. */
    private static boolean option(ObjectNode stage, String token) {
        String part = token.toLowerCase(Locale.ROOT);
        if (part.equals("auto") || part.equals("manual")) {
            stage.put("promotion", part);
        } else if (part.startsWith("clients=")) {
            stage.put("minClientsPerCohort", Long.parseLong(part.substring("clients=".length())));
        } else if (part.startsWith("tolerance=")) {
            String tolerance = part.substring("tolerance=".length());
            stage.put(
                    "tolerancePercent",
                    Integer.parseInt(
                            tolerance.endsWith("%") ? tolerance.substring(0, tolerance.length() - 1) : tolerance));
        } else if (part.startsWith("soak=")) {
            stage.put("minSoakSeconds", Long.parseLong(part.substring("soak=".length())));
        } else {
            return false;
        }
        return true;
    }

    private static String lastToken(String text) {
        if (text.isEmpty()) {
            return null;
        }
        int space = lastSpace(text);
        return text.substring(space + 1);
    }

    private static String withoutLastToken(String text) {
        int space = lastSpace(text);
        return space < 0 ? "" : text.substring(0, space).strip();
    }

    private static int lastSpace(String text) {
        for (int i = text.length() - 1; i >= 0; i--) {
            if (Character.isWhitespace(text.charAt(i))) {
                return i;
            }
        }
        return -1;
    }

    private static boolean isDigits(String token) {
        return !token.isEmpty() && token.chars().allMatch(Character::isDigit);
    }

    private static boolean isPercentage(String token) {
        return token.matches("[0-9]+(\\.[0-9]+)?%?");
    }

    /** A word of a stage line that is neither an option, a number where one belongs, nor part of the name. */
    private static final class NotUnderstood extends RuntimeException {
        NotUnderstood(String token) {
            super(token, null, false, false);
        }
    }

    static final String STAGE_LINE = "write 'name percentage [soak seconds] [auto|manual] [clients=N] [tolerance=N]'";

    private static String lines(JsonNode array) {
        StringBuilder text = new StringBuilder();
        array.forEach(v -> text.append(v.asText()).append('\n'));
        return text.toString();
    }

    private static String nullToEmpty(String value) {
        return value == null ? "" : value;
    }
}
