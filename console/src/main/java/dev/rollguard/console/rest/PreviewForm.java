package dev.rollguard.console.rest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollguard.console.view.PreviewAnswer;
import jakarta.ws.rs.core.MultivaluedMap;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

/**
 * The sample context of the "who matches" preview: a targeting key and attribute rows ({@code a<row>.name},
 * {@code .value}, {@code .type}), typed as an OFREP context carries them: text, number or boolean.
 */
public final class PreviewForm {

    /** Attribute rows shown; empty ones are not sent. */
    static final int ROWS = 4;

    /** One attribute of the sample context. */
    public record Attribute(int index, String name, String value, String type) {}

    private final String targetingKey;
    private final List<Attribute> attributes;
    private final List<String> errors = new ArrayList<>();

    private PreviewForm(String targetingKey, List<Attribute> attributes) {
        this.targetingKey = targetingKey == null ? "" : targetingKey;
        this.attributes = attributes;
    }

    public static PreviewForm empty() {
        return of(new jakarta.ws.rs.core.MultivaluedHashMap<>());
    }

    public static PreviewForm of(MultivaluedMap<String, String> params) {
        List<Attribute> filled = new ArrayList<>();
        for (int i = 0; i < ConstraintRow.MAX_ROWS; i++) {
            String name = params.getFirst("a" + i + ".name");
            String value = params.getFirst("a" + i + ".value");
            if ((name == null || name.isBlank()) && (value == null || value.isBlank())) {
                continue;
            }
            String type = params.getFirst("a" + i + ".type");
            filled.add(new Attribute(
                    filled.size(),
                    name == null ? "" : name,
                    value == null ? "" : value,
                    "number".equals(type) || "boolean".equals(type) ? type : "text"));
        }
        List<Attribute> rows = new ArrayList<>(filled);
        while (rows.size() < Math.max(ROWS, filled.size() + 1)) {
            rows.add(new Attribute(rows.size(), "", "", "text"));
        }
        return new PreviewForm(params.getFirst("targetingKey"), rows);
    }

    /** The OFREP-style context; null when a value cannot be read as its type (see {@link #errors()}). */
    public ObjectNode context(ObjectMapper json) {
        ObjectNode context = json.createObjectNode();
        if (!targetingKey.isBlank()) {
            context.put("targetingKey", targetingKey.strip());
        }
        for (Attribute a : attributes) {
            if (a.name().isBlank()) {
                if (!a.value().isBlank()) {
                    errors.add("The value \"" + a.value() + "\" needs an attribute name.");
                }
                continue;
            }
            String name = a.name().strip();
            String value = a.value().strip();
            switch (a.type()) {
                case "number" -> {
                    try {
                        context.put(name, new BigDecimal(value));
                    } catch (NumberFormatException e) {
                        errors.add(name + ": \"" + value + "\" is not a number.");
                    }
                }
                case "boolean" -> {
                    if (value.equalsIgnoreCase("true") || value.equalsIgnoreCase("false")) {
                        context.put(name, Boolean.parseBoolean(value.toLowerCase(java.util.Locale.ROOT)));
                    } else {
                        errors.add(name + ": write true or false.");
                    }
                }
                default -> context.put(name, a.value());
            }
        }
        return errors.isEmpty() ? context : null;
    }

    /** No answer yet: the form as the flag page first shows it. */
    public PreviewAnswer unanswered() {
        return PreviewAnswer.none();
    }

    public String targetingKey() {
        return targetingKey;
    }

    public List<Attribute> attributes() {
        return attributes;
    }

    public List<String> errors() {
        return errors;
    }
}
