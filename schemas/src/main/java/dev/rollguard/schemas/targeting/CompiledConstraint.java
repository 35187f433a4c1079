package dev.rollguard.schemas.targeting;

import dev.rollguard.schemas.event.Constraint;
import dev.rollguard.schemas.event.ConstraintOperator;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A {@link Constraint} with its values parsed once (sets, patterns, numbers, versions, instants), so evaluating it
 * parses only the attribute. A constraint whose values do not parse (which {@link TargetingValidation} refuses)
 * never matches, negated or not.
 */
final class CompiledConstraint {

    /** Longest regular expression accepted by {@code MATCHES}. */
    static final int MAX_PATTERN_LENGTH = 256;

    private final String attribute;
    private final ConstraintOperator operator;
    private final boolean negate;
    private final boolean caseInsensitive;
    private final boolean valid;
    private final Set<String> set;
    private final String[] strings;
    private final Pattern[] patterns;
    private final double number;
    private final SemanticVersion version;
    private final Instant instant;

    private CompiledConstraint(Constraint constraint) {
        this.attribute = constraint.getAttribute();
        this.operator = constraint.getOperator();
        this.negate = constraint.getNegate();
        this.caseInsensitive = constraint.getCaseInsensitive();
        List<String> values = constraint.getValues() == null ? List.of() : constraint.getValues();
        Set<String> set = null;
        String[] strings = null;
        Pattern[] patterns = null;
        double number = Double.NaN;
        SemanticVersion version = null;
        Instant instant = null;
        boolean valid = attribute != null && operator != null && !values.isEmpty() && !values.contains(null);
        if (valid) {
            switch (operator) {
                case IN, NOT_IN -> {
                    set = new HashSet<>();
                    for (String value : values) {
                        set.add(fold(value));
                    }
                }
                case STR_STARTS_WITH, STR_ENDS_WITH, STR_CONTAINS -> {
                    strings = values.stream().map(this::fold).toArray(String[]::new);
                }
                case MATCHES -> {
                    patterns = new Pattern[values.size()];
                    for (int i = 0; i < patterns.length && valid; i++) {
                        patterns[i] = pattern(values.get(i), caseInsensitive);
                        valid = patterns[i] != null;
                    }
                }
                case NUM_EQ, NUM_LT, NUM_LTE, NUM_GT, NUM_GTE -> {
                    number = values.size() == 1 ? parseNumber(values.get(0)) : Double.NaN;
                    valid = !Double.isNaN(number);
                }
                case SEMVER_EQ, SEMVER_LT, SEMVER_LTE, SEMVER_GT, SEMVER_GTE -> {
                    version = values.size() == 1 ? SemanticVersion.parse(values.get(0)) : null;
                    valid = version != null;
                }
                case DATE_BEFORE, DATE_AFTER -> {
                    instant = values.size() == 1 ? parseInstant(values.get(0)) : null;
                    valid = instant != null;
                }
            }
        }
        this.valid = valid;
        this.set = set;
        this.strings = strings;
        this.patterns = patterns;
        this.number = number;
        this.version = version;
        this.instant = instant;
    }

    static CompiledConstraint compile(Constraint constraint) {
        return new CompiledConstraint(constraint);
    }

    /** Relative cost of a check, so a rule tries its cheap constraints first (the outcome does not depend on it). */
    int cost() {
        return switch (operator == null ? ConstraintOperator.IN : operator) {
            case IN, NOT_IN, NUM_EQ, NUM_LT, NUM_LTE, NUM_GT, NUM_GTE -> 0;
            case STR_STARTS_WITH, STR_ENDS_WITH, STR_CONTAINS -> 1;
            case SEMVER_EQ, SEMVER_LT, SEMVER_LTE, SEMVER_GT, SEMVER_GTE -> 2;
            case DATE_BEFORE, DATE_AFTER -> 3;
            case MATCHES -> 4;
        };
    }

    /**
     * Whether the context satisfies the constraint: the comparison, inverted by {@code negate}. A missing attribute,
     * or one the operator cannot read (a malformed version, a non-numeric string for a number, an unreadable date),
     * fails the comparison, and so satisfies its negation.
     */
    boolean matches(EvaluationContext context) {
        if (!valid) {
            return false;
        }
        Object value = context.attribute(attribute);
        return (value != null && compare(value)) != negate;
    }

    private boolean compare(Object value) {
        return switch (operator) {
            case IN -> set.contains(fold(text(value)));
            case NOT_IN -> !set.contains(fold(text(value)));
            case STR_STARTS_WITH -> {
                String text = fold(text(value));
                for (String s : strings) {
                    if (text.startsWith(s)) {
                        yield true;
                    }
                }
                yield false;
            }
            case STR_ENDS_WITH -> {
                String text = fold(text(value));
                for (String s : strings) {
                    if (text.endsWith(s)) {
                        yield true;
                    }
                }
                yield false;
            }
            case STR_CONTAINS -> {
                String text = fold(text(value));
                for (String s : strings) {
                    if (text.contains(s)) {
                        yield true;
                    }
                }
                yield false;
            }
            case MATCHES -> {
                String text = text(value);
                for (Pattern p : patterns) {
                    if (p.matcher(text).find()) {
                        yield true;
                    }
                }
                yield false;
            }
            case NUM_EQ -> number(value) == number;
            case NUM_LT -> number(value) < number;
            case NUM_LTE -> number(value) <= number;
            case NUM_GT -> number(value) > number;
            case NUM_GTE -> number(value) >= number;
            case SEMVER_EQ, SEMVER_LT, SEMVER_LTE, SEMVER_GT, SEMVER_GTE -> {
                SemanticVersion actual = value instanceof String s ? SemanticVersion.parse(s) : null;
                if (actual == null) {
                    yield false;
                }
                int c = actual.compareTo(version);
                yield switch (operator) {
                    case SEMVER_EQ -> c == 0;
                    case SEMVER_LT -> c < 0;
                    case SEMVER_LTE -> c <= 0;
                    case SEMVER_GT -> c > 0;
                    default -> c >= 0;
                };
            }
            case DATE_BEFORE, DATE_AFTER -> {
                Instant actual = value instanceof String s ? parseInstant(s) : null;
                yield actual != null
                        && (operator == ConstraintOperator.DATE_BEFORE
                                ? actual.isBefore(instant)
                                : actual.isAfter(instant));
            }
        };
    }

    private String fold(String text) {
        return caseInsensitive ? text.toLowerCase(Locale.ROOT) : text;
    }

    /**
     * The string form of an attribute value for the string operators: a string as is, a boolean as {@code
     * true}/{@code false}, a whole number without a fraction ({@code 42}, also for the double 42.0), any other number
     * in plain decimal notation ({@code 0.5}).
     */
    static String text(Object value) {
        if (value instanceof String s) {
            return s;
        }
        if (value instanceof Double || value instanceof Float) {
            double d = ((Number) value).doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                return Double.toString(d);
            }
            return BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
        }
        if (value instanceof BigDecimal b) {
            return b.stripTrailingZeros().toPlainString();
        }
        return String.valueOf(value);
    }

    /** A number attribute as is, a numeric string parsed, anything else NaN (which every comparison fails). */
    static double number(Object value) {
        if (value instanceof Number n) {
            return n.doubleValue();
        }
        if (value instanceof String s) {
            return parseNumber(s);
        }
        return Double.NaN;
    }

    /**
     * A decimal number ({@code -12}, {@code 3.5}, {@code 1e6}), NaN for anything else (blanks, {@code NaN}, {@code
     * Infinity}, hexadecimal, Java's {@code 1d} suffixes).
     */
    static double parseNumber(String text) {
        int n = text.length();
        if (n == 0 || n > 64) {
            return Double.NaN;
        }
        int i = 0;
        if (text.charAt(0) == '+' || text.charAt(0) == '-') {
            i++;
        }
        int digits = 0;
        while (i < n && isDigit(text.charAt(i))) {
            i++;
            digits++;
        }
        if (i < n && text.charAt(i) == '.') {
            i++;
            while (i < n && isDigit(text.charAt(i))) {
                i++;
                digits++;
            }
        }
        if (digits == 0) {
            return Double.NaN;
        }
        if (i < n && (text.charAt(i) == 'e' || text.charAt(i) == 'E')) {
            i++;
            if (i < n && (text.charAt(i) == '+' || text.charAt(i) == '-')) {
                i++;
            }
            int exponent = 0;
            while (i < n && isDigit(text.charAt(i))) {
                i++;
                exponent++;
            }
            if (exponent == 0) {
                return Double.NaN;
            }
        }
        return i == n ? Double.parseDouble(text) : Double.NaN;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    /** An RFC 3339 date-time with an offset ({@code 2026-03-01T12:00:00Z}, {@code ...+02:00}), null otherwise. */
    static Instant parseInstant(String text) {
        if (text.length() < 20 || text.length() > 64) {
            return null;
        }
        try {
            // RFC 3339 allows a lower-case 't' and 'z'.
            return OffsetDateTime.parse(text.toUpperCase(Locale.ROOT), DateTimeFormatter.ISO_OFFSET_DATE_TIME)
                    .toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** The pattern, or null when it is longer than {@value #MAX_PATTERN_LENGTH} characters or does not compile. */
    static Pattern pattern(String regex, boolean caseInsensitive) {
        if (regex.length() > MAX_PATTERN_LENGTH) {
            return null;
        }
        try {
            return Pattern.compile(regex, caseInsensitive ? Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE : 0);
        } catch (PatternSyntaxException e) {
            return null;
        }
    }
}
