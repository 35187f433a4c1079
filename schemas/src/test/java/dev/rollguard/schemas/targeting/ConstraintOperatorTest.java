package dev.rollguard.schemas.targeting;

import static dev.rollguard.schemas.event.ConstraintOperator.DATE_AFTER;
import static dev.rollguard.schemas.event.ConstraintOperator.DATE_BEFORE;
import static dev.rollguard.schemas.event.ConstraintOperator.IN;
import static dev.rollguard.schemas.event.ConstraintOperator.MATCHES;
import static dev.rollguard.schemas.event.ConstraintOperator.NOT_IN;
import static dev.rollguard.schemas.event.ConstraintOperator.NUM_EQ;
import static dev.rollguard.schemas.event.ConstraintOperator.NUM_GT;
import static dev.rollguard.schemas.event.ConstraintOperator.NUM_GTE;
import static dev.rollguard.schemas.event.ConstraintOperator.NUM_LT;
import static dev.rollguard.schemas.event.ConstraintOperator.NUM_LTE;
import static dev.rollguard.schemas.event.ConstraintOperator.SEMVER_EQ;
import static dev.rollguard.schemas.event.ConstraintOperator.SEMVER_GT;
import static dev.rollguard.schemas.event.ConstraintOperator.SEMVER_GTE;
import static dev.rollguard.schemas.event.ConstraintOperator.SEMVER_LT;
import static dev.rollguard.schemas.event.ConstraintOperator.SEMVER_LTE;
import static dev.rollguard.schemas.event.ConstraintOperator.STR_CONTAINS;
import static dev.rollguard.schemas.event.ConstraintOperator.STR_ENDS_WITH;
import static dev.rollguard.schemas.event.ConstraintOperator.STR_STARTS_WITH;
import static dev.rollguard.schemas.targeting.TargetingFixtures.constraint;
import static dev.rollguard.schemas.targeting.TargetingFixtures.ignoringCase;
import static dev.rollguard.schemas.targeting.TargetingFixtures.negated;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.schemas.event.Constraint;
import dev.rollguard.schemas.event.ConstraintOperator;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every constraint operator, with negation, case folding, missing attributes and attributes of another type. */
class ConstraintOperatorTest {

    @Test
    void inMatchesAnEqualValueAndNotInNone() {
        Constraint in = constraint("country", IN, "FR", "DE");
        Constraint notIn = constraint("country", NOT_IN, "FR", "DE");

        assertThat(matches(in, "FR")).isTrue();
        assertThat(matches(in, "DE")).isTrue();
        assertThat(matches(in, "ES")).isFalse();
        assertThat(matches(in, "fr")).as("case matters by default").isFalse();
        assertThat(matches(notIn, "ES")).isTrue();
        assertThat(matches(notIn, "FR")).isFalse();
    }

    @Test
    void caseInsensitiveFoldsBothSidesOfTheStringOperators() {
        assertThat(matches(ignoringCase(constraint("platform", IN, "IOS")), "ios"))
                .isTrue();
        assertThat(matches(ignoringCase(constraint("platform", NOT_IN, "IOS")), "iOS"))
                .isFalse();
        assertThat(matches(ignoringCase(constraint("email", STR_ENDS_WITH, "@Example.COM")), "ann@EXAMPLE.com"))
                .isTrue();
        assertThat(matches(ignoringCase(constraint("email", STR_STARTS_WITH, "ADMIN")), "admin@x"))
                .isTrue();
        assertThat(matches(ignoringCase(constraint("email", STR_CONTAINS, "Beta")), "x.BETA.y"))
                .isTrue();
        assertThat(matches(ignoringCase(constraint("email", MATCHES, "^ann@")), "ANN@example.com"))
                .isTrue();
        assertThat(matches(constraint("email", MATCHES, "^ann@"), "ANN@example.com"))
                .isFalse();
    }

    @Test
    void stringOperatorsMatchAnyOfTheirValues() {
        Constraint starts = constraint("email", STR_STARTS_WITH, "admin@", "ops@");
        Constraint ends = constraint("email", STR_ENDS_WITH, "@example.com", "@example.org");
        Constraint contains = constraint("email", STR_CONTAINS, "+beta", "+qa");

        assertThat(matches(starts, "ops@example.com")).isTrue();
        assertThat(matches(starts, "user@example.com")).isFalse();
        assertThat(matches(ends, "ann@example.org")).isTrue();
        assertThat(matches(ends, "ann@example.net")).isFalse();
        assertThat(matches(contains, "ann+qa@example.com")).isTrue();
        assertThat(matches(contains, "ann@example.com")).isFalse();
    }

    @Test
    void matchesFindsTheExpressionAnywhereAndRefusesALongOrBrokenOne() {
        assertThat(matches(constraint("email", MATCHES, "@example\\.(com|org)$"), "ann@example.org"))
                .isTrue();
        assertThat(matches(constraint("email", MATCHES, "example"), "ann@example.org"))
                .as("found anywhere, not the whole input")
                .isTrue();
        assertThat(matches(constraint("email", MATCHES, "^example"), "ann@example.org"))
                .isFalse();

        String longest = "a".repeat(CompiledConstraint.MAX_PATTERN_LENGTH);
        assertThat(matches(constraint("s", MATCHES, longest), "x" + longest)).isTrue();
        Constraint tooLong = constraint("s", MATCHES, longest + "a");
        assertThat(matches(tooLong, "a".repeat(300))).isFalse();
        assertThat(matches(negated(tooLong), "b"))
                .as("a constraint that cannot compile matches nobody, negated or not")
                .isFalse();
        assertThat(matches(constraint("s", MATCHES, "(unclosed"), "(unclosed")).isFalse();
        assertThat(matches(negated(constraint("s", MATCHES, "(unclosed")), "x")).isFalse();
    }

    @Test
    void numericOperatorsCompareNumbersAndNumericStrings() {
        assertThat(matches(constraint("age", NUM_EQ, "42"), 42)).isTrue();
        assertThat(matches(constraint("age", NUM_EQ, "42"), 42.0)).isTrue();
        assertThat(matches(constraint("age", NUM_EQ, "42.0"), 42L)).isTrue();
        assertThat(matches(constraint("age", NUM_EQ, "42"), "42")).isTrue();
        assertThat(matches(constraint("age", NUM_EQ, "42"), 43)).isFalse();
        assertThat(matches(constraint("age", NUM_LT, "18"), 17.5)).isTrue();
        assertThat(matches(constraint("age", NUM_LT, "18"), 18)).isFalse();
        assertThat(matches(constraint("age", NUM_LTE, "18"), 18)).isTrue();
        assertThat(matches(constraint("age", NUM_GT, "1e3"), 1001)).isTrue();
        assertThat(matches(constraint("age", NUM_GT, "1e3"), 1000)).isFalse();
        assertThat(matches(constraint("age", NUM_GTE, "-2.5"), new BigDecimal("-2.5")))
                .isTrue();
        assertThat(matches(constraint("age", NUM_GTE, "-2.5"), "-3")).isFalse();
    }

    @Test
    void aNonNumericStringOrABooleanFailsANumericOperator() {
        for (Object value : new Object[] {"forty-two", "", " 42", "42 ", "NaN", "Infinity", "0x2A", "42d", true}) {
            assertThat(matches(constraint("age", NUM_GTE, "0"), value))
                    .as("NUM_GTE 0 against %s", value)
                    .isFalse();
            assertThat(matches(negated(constraint("age", NUM_GTE, "0")), value))
                    .as("negated NUM_GTE 0 against %s", value)
                    .isTrue();
        }
    }

    @Test
    void aNumberOrBooleanAttributeMeetsAStringOperatorInItsStringForm() {
        assertThat(matches(constraint("build", IN, "42", "43"), 42)).isTrue();
        assertThat(matches(constraint("build", IN, "42"), 42.0))
                .as("a whole double reads without its fraction")
                .isTrue();
        assertThat(matches(constraint("ratio", IN, "0.5"), 0.5)).isTrue();
        assertThat(matches(constraint("build", STR_STARTS_WITH, "4"), 4711L)).isTrue();
        assertThat(matches(constraint("beta", IN, "true"), true)).isTrue();
        assertThat(matches(constraint("beta", IN, "true"), false)).isFalse();
        assertThat(matches(constraint("build", MATCHES, "^\\d{4}$"), 4711)).isTrue();
    }

    @Test
    void semverComparesBySemanticVersioningPrecedence() {
        assertThat(matches(constraint("appVersion", SEMVER_GTE, "4.2.0"), "4.2.0"))
                .isTrue();
        assertThat(matches(constraint("appVersion", SEMVER_GTE, "4.2.0"), "4.10.0"))
                .as("numerically, not as text")
                .isTrue();
        assertThat(matches(constraint("appVersion", SEMVER_GTE, "4.2.0"), "4.1.99"))
                .isFalse();
        assertThat(matches(constraint("appVersion", SEMVER_GTE, "4.2.0"), "4.2.0-rc.1"))
                .as("a pre-release precedes its release")
                .isFalse();
        assertThat(matches(constraint("appVersion", SEMVER_LT, "4.2.0"), "4.2.0-rc.1"))
                .isTrue();
        assertThat(matches(constraint("appVersion", SEMVER_LTE, "4.2.0"), "4.2.0"))
                .isTrue();
        assertThat(matches(constraint("appVersion", SEMVER_GT, "1.0.0-beta.2"), "1.0.0-beta.11"))
                .as("numeric pre-release identifiers compare numerically")
                .isTrue();
        assertThat(matches(constraint("appVersion", SEMVER_EQ, "4.2.0"), "4.2.0+build.77"))
                .as("build metadata is ignored")
                .isTrue();
        assertThat(matches(constraint("appVersion", SEMVER_EQ, "4.2.0"), "4.2.1"))
                .isFalse();
    }

    @Test
    void aMalformedVersionFailsTheConstraintAndNeverThrows() {
        for (Object value : new Object[] {
            "4.2",
            "v4.2.0",
            "4.2.0.1",
            "04.2.0",
            "4.2.0-",
            "4.2.0-01",
            "4.2.0+",
            "4..0",
            "",
            "4.2.0-a..b",
            "4.2.x",
            4,
            4.2,
            true
        }) {
            assertThat(matches(constraint("appVersion", SEMVER_GTE, "0.0.0"), value))
                    .as("SEMVER_GTE 0.0.0 against %s", value)
                    .isFalse();
            assertThat(matches(negated(constraint("appVersion", SEMVER_GTE, "0.0.0")), value))
                    .as("negated, against %s", value)
                    .isTrue();
        }
        assertThat(matches(constraint("appVersion", SEMVER_GTE, "4.2"), "9.9.9"))
                .as("a malformed value in the constraint matches nobody")
                .isFalse();
    }

    @Test
    void datesCompareAsInstantsWhateverTheOffset() {
        Constraint before = constraint("signedUp", DATE_BEFORE, "2026-03-01T00:00:00Z");
        Constraint after = constraint("signedUp", DATE_AFTER, "2026-03-01T00:00:00Z");

        assertThat(matches(before, "2026-02-28T23:59:59.999Z")).isTrue();
        assertThat(matches(before, "2026-03-01T00:30:00+01:00"))
                .as("23:30 UTC the day before")
                .isTrue();
        assertThat(matches(before, "2026-03-01T00:00:00Z")).isFalse();
        assertThat(matches(after, "2026-03-01T00:00:00Z")).isFalse();
        assertThat(matches(after, "2026-03-01t00:00:01z"))
                .as("RFC 3339 allows lower case")
                .isTrue();
        assertThat(matches(after, "2026-03-01")).as("no time, no offset").isFalse();
        assertThat(matches(after, "2026-03-01T10:00:00")).as("no offset").isFalse();
        assertThat(matches(after, 1_900_000_000_000L)).as("a number is no date").isFalse();
        assertThat(matches(negated(after), "yesterday")).isTrue();
    }

    @Test
    void rfc3339DateTimesAreReadExactly() {
        assertThat(CompiledConstraint.parseInstant("2028-02-29T12:00:00Z"))
                .isEqualTo(Instant.parse("2028-02-29T12:00:00Z"));
        assertThat(CompiledConstraint.parseInstant("2026-03-01T01:02:03.5-02:30"))
                .isEqualTo(Instant.parse("2026-03-01T03:32:03.500Z"));
        assertThat(CompiledConstraint.parseInstant("2026-03-01T01:02:03.123456789Z"))
                .isEqualTo(Instant.parse("2026-03-01T01:02:03.123456789Z"));
        assertThat(CompiledConstraint.parseInstant("2016-12-31T23:59:60Z"))
                .as("a leap second")
                .isEqualTo(Instant.parse("2017-01-01T00:00:00Z"));
        for (String malformed : new String[] {
            "2026-02-29T12:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T00:00:00.Z",
            "2026-01-01T00:00:00.1234567890Z",
            "2026-01-01T00:00:00+0100",
            "2026-01-01T00:00:00+01:00x",
            "2026-01-01 00:00:00Z",
            "2026-1-01T00:00:00Z",
            "+2026-01-01T00:00:00Z"
        }) {
            assertThat(CompiledConstraint.parseInstant(malformed)).as(malformed).isNull();
        }
    }

    @ParameterizedTest
    @EnumSource(ConstraintOperator.class)
    void aMissingAttributeFailsEveryOperatorAndSatisfiesItsNegation(ConstraintOperator operator) {
        Constraint constraint = constraint("absent", operator, valueFor(operator));

        assertThat(CompiledConstraint.compile(constraint).matches(EvaluationContext.of("user-1")))
                .isFalse();
        assertThat(CompiledConstraint.compile(negated(constraint)).matches(EvaluationContext.of("user-1")))
                .isTrue();
    }

    @ParameterizedTest
    @EnumSource(ConstraintOperator.class)
    void negationInvertsEveryOperator(ConstraintOperator operator) {
        String value = valueFor(operator);
        Constraint constraint = constraint("a", operator, value);
        Object matching = operator == NOT_IN ? "other" : matchingAttribute(operator, value);

        assertThat(matches(constraint, matching)).isTrue();
        assertThat(matches(negated(constraint), matching)).isFalse();
    }

    @Test
    void theTargetingKeyIsReadableAsAnAttribute() {
        Constraint internal = constraint(EvaluationContext.TARGETING_KEY, STR_ENDS_WITH, "@example.com");
        assertThat(CompiledConstraint.compile(internal).matches(EvaluationContext.of("ann@example.com")))
                .isTrue();
        assertThat(CompiledConstraint.compile(internal).matches(EvaluationContext.of("ann@gmail.com")))
                .isFalse();
        assertThat(CompiledConstraint.compile(internal).matches(EvaluationContext.of(null)))
                .isFalse();
    }

    @Test
    void anOfrepContextGivesTheTargetingKeyAndEveryAttribute() {
        EvaluationContext context = EvaluationContext.fromOfrep(Map.of("targetingKey", "u-1", "platform", "IOS"));

        assertThat(context.targetingKey()).isEqualTo("u-1");
        assertThat(CompiledConstraint.compile(constraint("platform", IN, "IOS")).matches(context))
                .isTrue();
        assertThat(EvaluationContext.fromOfrep(Map.of("targetingKey", 42)).targetingKey())
                .as("a targeting key that is not a string is no key")
                .isNull();
        assertThat(EvaluationContext.fromOfrep(null).hasTargetingKey()).isFalse();
    }

    private static String valueFor(ConstraintOperator operator) {
        return switch (operator) {
            case NUM_EQ, NUM_LT, NUM_LTE, NUM_GT, NUM_GTE -> "10";
            case SEMVER_EQ, SEMVER_LT, SEMVER_LTE, SEMVER_GT, SEMVER_GTE -> "2.0.0";
            case DATE_BEFORE, DATE_AFTER -> "2026-03-01T00:00:00Z";
            default -> "abc";
        };
    }

    /** An attribute value the operator, not negated, matches against {@link #valueFor}. */
    private static Object matchingAttribute(ConstraintOperator operator, String value) {
        return switch (operator) {
            case NUM_EQ, NUM_LTE, NUM_GTE -> 10;
            case NUM_LT -> 9;
            case NUM_GT -> 11;
            case SEMVER_EQ, SEMVER_LTE, SEMVER_GTE -> "2.0.0";
            case SEMVER_LT -> "1.9.9";
            case SEMVER_GT -> "2.0.1";
            case DATE_BEFORE -> "2026-02-01T00:00:00Z";
            case DATE_AFTER -> "2026-04-01T00:00:00Z";
            case STR_STARTS_WITH -> value + "-suffix";
            case STR_ENDS_WITH -> "prefix-" + value;
            case STR_CONTAINS, MATCHES -> "x" + value + "y";
            default -> value;
        };
    }

    private static boolean matches(Constraint constraint, Object attribute) {
        Map<String, Object> attributes = new HashMap<>();
        attributes.put(constraint.getAttribute(), attribute);
        return CompiledConstraint.compile(constraint).matches(new EvaluationContext("user-1", attributes));
    }
}
