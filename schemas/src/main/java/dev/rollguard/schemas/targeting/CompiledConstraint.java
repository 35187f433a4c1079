package dev.rollguard.schemas.targeting;

import dev.rollguard.schemas.event.Constraint;
import dev.rollguard.schemas.event.ConstraintOperator;
import java.math.BigDecimal;
import java.time.Instant;
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
    private final int slot;
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

    private CompiledConstraint(Constraint constraint, int slot) {
        this.attribute = constraint.getAttribute();
        this.slot = slot;
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
        boolean valid = attribute != null && operator != null && !values.isEmpty() && noNull(values);
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

    /** Whether no value is null (an immutable list's contains(null) throws). */
    static boolean noNull(List<String> values) {
        for (String value : values) {
            if (value == null) {
                return false;
            }
        }
        return true;
    }

    /** Compiles a constraint that reads its attribute from {@code slot} of a {@link Subject}. */
    static CompiledConstraint compile(Constraint constraint, int slot) {
        return new CompiledConstraint(constraint, slot);
    }

    /** Compiles a constraint on its own (its attribute in slot 0). */
    static CompiledConstraint compile(Constraint constraint) {
        return new CompiledConstraint(constraint, 0);
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
    boolean matches(Subject subject) {
        if (!valid) {
            return false;
        }
        return (subject.raw(slot) != null && compare(subject)) != negate;
    }

    /** {@link #matches(Subject)} for a constraint compiled on its own. */
    boolean matches(EvaluationContext context) {
        return matches(new Subject(context, new String[] {attribute}));
    }

    private boolean compare(Subject subject) {
        return switch (operator) {
            case IN -> set.contains(string(subject));
            case NOT_IN -> !set.contains(string(subject));
            case STR_STARTS_WITH -> {
                String text = string(subject);
                for (String s : strings) {
                    if (text.startsWith(s)) {
                        yield true;
                    }
                }
                yield false;
            }
            case STR_ENDS_WITH -> {
                String text = string(subject);
                for (String s : strings) {
                    if (text.endsWith(s)) {
                        yield true;
                    }
                }
                yield false;
            }
            case STR_CONTAINS -> {
                String text = string(subject);
                for (String s : strings) {
                    if (text.contains(s)) {
                        yield true;
                    }
                }
                yield false;
            }
            case MATCHES -> {
                String text = subject.text(slot);
                for (Pattern p : patterns) {
                    if (p.matcher(text).find()) {
                        yield true;
                    }
                }
                yield false;
            }
            case NUM_EQ -> subject.number(slot) == number;
            case NUM_LT -> subject.number(slot) < number;
            case NUM_LTE -> subject.number(slot) <= number;
            case NUM_GT -> subject.number(slot) > number;
            case NUM_GTE -> subject.number(slot) >= number;
            case SEMVER_EQ, SEMVER_LT, SEMVER_LTE, SEMVER_GT, SEMVER_GTE -> {
                SemanticVersion actual = subject.version(slot);
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
                Instant actual = subject.instant(slot);
                yield actual != null
                        && (operator == ConstraintOperator.DATE_BEFORE
                                ? actual.isBefore(instant)
                                : actual.isAfter(instant));
            }
        };
    }

    /** The attribute as the string operators compare it: its string form, in lower case when ignoring case. */
    private String string(Subject subject) {
        return caseInsensitive ? subject.folded(slot) : subject.text(slot);
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

    /**
     * An RFC 3339 date-time ({@code 2026-03-01T12:00:00Z}, {@code 2026-03-01T14:00:00.250+02:00}; 'T' and 'Z' in
     * either case), null otherwise. Parsed by hand: a rule may read a date on every evaluation.
     */
    static Instant parseInstant(String text) {
        int n = text.length();
        if (n < 20 || n > 40) {
            return null;
        }
        int year = digits(text, 0, 4);
        int month = digits(text, 5, 2);
        int day = digits(text, 8, 2);
        int hour = digits(text, 11, 2);
        int minute = digits(text, 14, 2);
        int second = digits(text, 17, 2);
        char t = text.charAt(10);
        if (year < 0
                || month < 1
                || month > 12
                || day < 1
                || hour < 0
                || hour > 23
                || minute < 0
                || minute > 59
                || second < 0
                || second > 60 // a leap second is valid RFC 3339
                || text.charAt(4) != '-'
                || text.charAt(7) != '-'
                || (t != 'T' && t != 't')
                || text.charAt(13) != ':'
                || text.charAt(16) != ':'
                || day > java.time.YearMonth.of(year, month).lengthOfMonth()) {
            return null;
        }
        int i = 19;
        int nanos = 0;
        if (text.charAt(i) == '.') {
            int from = ++i;
            while (i < n && isDigit(text.charAt(i))) {
                i++;
            }
            if (i == from || i - from > 9) {
                return null;
            }
            nanos = digits(text, from, i - from);
            for (int scale = i - from; scale < 9; scale++) {
                nanos *= 10;
            }
        }
        if (i >= n) {
            return null;
        }
        int offsetSeconds;
        char sign = text.charAt(i);
        if ((sign == 'Z' || sign == 'z') && i + 1 == n) {
            offsetSeconds = 0;
        } else if ((sign == '+' || sign == '-') && i + 6 == n && text.charAt(i + 3) == ':') {
            int offsetHours = digits(text, i + 1, 2);
            int offsetMinutes = digits(text, i + 4, 2);
            if (offsetHours < 0 || offsetHours > 23 || offsetMinutes < 0 || offsetMinutes > 59) {
                return null;
            }
            offsetSeconds = (sign == '+' ? 1 : -1) * (offsetHours * 3600 + offsetMinutes * 60);
        } else {
            return null;
        }
        long epochDay = java.time.LocalDate.of(year, month, day).toEpochDay();
        return Instant.ofEpochSecond(epochDay * 86_400 + hour * 3600L + minute * 60L + second - offsetSeconds, nanos);
    }

    /** The non-negative decimal number of {@code length} digits at {@code from}, -1 when they are not all digits. */
    private static int digits(String text, int from, int length) {
        int value = 0;
        for (int i = from; i < from + length; i++) {
            char c = text.charAt(i);
            if (!isDigit(c)) {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
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
