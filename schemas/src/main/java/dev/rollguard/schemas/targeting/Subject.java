package dev.rollguard.schemas.targeting;

import java.time.Instant;

/**
 * The attributes of one evaluation context as a flag's rules read them: each attribute is looked up, and turned into
 * text, a version, an instant or a number, at most once per evaluation, however many constraints of however many
 * rules read it.
 */
final class Subject {

    private static final int RAW = 0;
    private static final int TEXT = 1;
    private static final int FOLDED = 2;
    private static final int VERSION = 3;
    private static final int INSTANT = 4;
    private static final int NUMBER = 5;
    private static final int KINDS = 6;
    private static final Object NONE = new Object();

    private final EvaluationContext context;
    private final String[] attributes;
    private Object[] memo;

    /**
     * @param context the evaluation context
     * @param attributes the attribute names by slot, as the compiled constraints number them
     */
    Subject(EvaluationContext context, String[] attributes) {
        this.context = context;
        this.attributes = attributes;
    }

    /** The attribute's value, null when missing. */
    Object raw(int slot) {
        return memo(slot, RAW);
    }

    /** Its string form ({@link CompiledConstraint#text}), null when missing. */
    String text(int slot) {
        return (String) memo(slot, TEXT);
    }

    /** Its string form in lower case, null when missing. */
    String folded(int slot) {
        return (String) memo(slot, FOLDED);
    }

    /** Its semantic version, null when missing, not a string or malformed. */
    SemanticVersion version(int slot) {
        return (SemanticVersion) memo(slot, VERSION);
    }

    /** Its instant, null when missing, not a string or not an RFC 3339 date-time. */
    Instant instant(int slot) {
        return (Instant) memo(slot, INSTANT);
    }

    /** Its number, NaN when missing or not numeric. */
    double number(int slot) {
        Object number = memo(slot, NUMBER);
        return number == null ? Double.NaN : (Double) number;
    }

    private Object memo(int slot, int kind) {
        if (memo == null) {
            memo = new Object[attributes.length * KINDS];
        }
        int i = slot * KINDS + kind;
        Object value = memo[i];
        if (value == null) {
            value = compute(slot, kind);
            memo[i] = value == null ? NONE : value;
        }
        return value == NONE ? null : value;
    }

    private Object compute(int slot, int kind) {
        if (kind == RAW) {
            return context.attribute(attributes[slot]);
        }
        Object raw = raw(slot);
        if (raw == null) {
            return null;
        }
        return switch (kind) {
            case TEXT -> CompiledConstraint.text(raw);
            case FOLDED -> text(slot).toLowerCase(java.util.Locale.ROOT);
            case VERSION -> raw instanceof String s ? SemanticVersion.parse(s) : null;
            case INSTANT -> raw instanceof String s ? CompiledConstraint.parseInstant(s) : null;
            default -> CompiledConstraint.number(raw);
        };
    }
}
