package dev.rollguard.schemas.targeting;

import static dev.rollguard.schemas.event.ConstraintOperator.DATE_AFTER;
import static dev.rollguard.schemas.event.ConstraintOperator.IN;
import static dev.rollguard.schemas.event.ConstraintOperator.MATCHES;
import static dev.rollguard.schemas.event.ConstraintOperator.NUM_GT;
import static dev.rollguard.schemas.event.ConstraintOperator.SEMVER_GTE;
import static dev.rollguard.schemas.targeting.TargetingFixtures.constraint;
import static dev.rollguard.schemas.targeting.TargetingFixtures.flag;
import static dev.rollguard.schemas.targeting.TargetingFixtures.inSegments;
import static dev.rollguard.schemas.targeting.TargetingFixtures.segment;
import static dev.rollguard.schemas.targeting.TargetingFixtures.serve;
import static dev.rollguard.schemas.targeting.TargetingFixtures.share;
import static dev.rollguard.schemas.targeting.TargetingFixtures.weight;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.schemas.event.Constraint;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.targeting.TargetingValidation.Problem;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The problems a flag's targeting is refused for, each with the path and the rule or segment it concerns. */
class TargetingValidationTest {

    @Test
    void aValidFlagHasNoProblem() {
        FlagChangedEvent flag = flag("checkout", 1_000);
        flag.setSegments(List.of(segment("staff", constraint("email", MATCHES, "@example\\.com$"))));
        flag.setRules(List.of(
                inSegments(serve("staff", "blue"), "staff"),
                share("new-app", 2_500, constraint("appVersion", SEMVER_GTE, "4.2.0-rc.1")),
                serve("old-web", "off", constraint("signedUp", DATE_AFTER, "2026-03-01T00:00:00+01:00"))));
        flag.setVariantWeights(List.of(weight("blue", 3_333), weight("green", 6_667)));

        assertThat(TargetingValidation.validate(flag)).isEmpty();
    }

    @Test
    void badConstraintValuesAreNamedByRuleAndPath() {
        FlagChangedEvent flag = flag("checkout", 0);
        flag.setRules(List.of(
                serve("ok", "blue", constraint("platform", IN, "IOS")),
                serve(
                        "ios-new-app",
                        "blue",
                        constraint("platform", IN, "IOS"),
                        constraint("appVersion", SEMVER_GTE, "4.x"),
                        constraint("age", NUM_GT, "eighteen"),
                        constraint("signedUp", DATE_AFTER, "2026-03-01"),
                        constraint("email", MATCHES, "(unclosed"),
                        constraint("email", MATCHES, "a".repeat(257)),
                        constraint("age", NUM_GT, "1", "2"),
                        constraint("platform", IN))));

        assertThat(TargetingValidation.validate(flag))
                .containsExactly(
                        new Problem(
                                "rules[1].constraints[1].values",
                                "rule ios-new-app: constraint 1 (appVersion SEMVER_GTE): '4.x' is not a semantic"
                                        + " version (MAJOR.MINOR.PATCH[-pre-release][+build])"),
                        new Problem(
                                "rules[1].constraints[2].values",
                                "rule ios-new-app: constraint 2 (age NUM_GT): 'eighteen' is not a number"),
                        new Problem(
                                "rules[1].constraints[3].values",
                                "rule ios-new-app: constraint 3 (signedUp DATE_AFTER): '2026-03-01' is not an RFC"
                                        + " 3339 date-time with an offset (2026-03-01T12:00:00Z)"),
                        new Problem(
                                "rules[1].constraints[4].values",
                                "rule ios-new-app: constraint 4 (email MATCHES): '(unclosed' is not a valid regular"
                                        + " expression: Unclosed group"),
                        new Problem(
                                "rules[1].constraints[5].values",
                                "rule ios-new-app: constraint 5 (email MATCHES): the regular expression is 257"
                                        + " characters long, more than 256"),
                        new Problem(
                                "rules[1].constraints[6].values",
                                "rule ios-new-app: constraint 6 (age NUM_GT): takes exactly one value, got 2"),
                        new Problem(
                                "rules[1].constraints[7].values",
                                "rule ios-new-app: constraint 7 (platform IN): takes at least one value, got none"));
    }

    @Test
    void ruleIdsSegmentsVariantsAndSharesAreChecked() {
        FlagChangedEvent flag = flag("checkout", 0);
        flag.setSegments(List.of(segment("staff", constraint("", IN, "x")), segment("staff")));
        flag.setRules(List.of(
                inSegments(serve("a", "blue"), "staff", "beta-testers"),
                serve("a", "purple"),
                serve("has space", "blue"),
                share("too-much", 10_001)));

        assertThat(TargetingValidation.validate(flag))
                .containsExactly(
                        new Problem(
                                "segments[0].constraints[0].attribute",
                                "segment staff: constraint 0 ( IN): the attribute is missing"),
                        new Problem("segments[1].key", "segment staff: duplicate key"),
                        new Problem("rules[0].segments[1]", "rule a: unknown segment 'beta-testers'"),
                        new Problem("rules[1].id", "rule a: duplicate rule id"),
                        new Problem(
                                "rules[1].variant",
                                "rule a: unknown variant 'purple' (the flag has [on, off, blue, green])"),
                        new Problem(
                                "rules[2].id", "rule 2: id 'has space' must be 1 to 64 letters, digits, '-' or '_'"),
                        new Problem(
                                "rules[3].rolloutPercentage",
                                "rule too-much: the share must be within 0 and 100 %, was 100.01 %"));
    }

    @Test
    void weightsMustSumToTheWholeAndNameTreatmentVariants() {
        FlagChangedEvent flag = flag("checkout", 0);
        flag.setVariantWeights(
                List.of(weight("blue", 5_000), weight("off", 1_000), weight("purple", 1_000), weight("blue", 2_000)));

        assertThat(TargetingValidation.validate(flag))
                .containsExactly(
                        new Problem(
                                "variantWeights[1].variant",
                                "weight 1: 'off' is the off variant (the control), which cannot carry a weight"),
                        new Problem(
                                "variantWeights[2].variant",
                                "weight 2: unknown variant 'purple' (the flag has [on, off, blue, green])"),
                        new Problem("variantWeights[3].variant", "weight 3: variant 'blue' twice"),
                        new Problem("variantWeights", "the weights sum to 90.0 %, not 100 %"));
    }

    @Test
    void aNullValueIsAProblemAndMatchesNobody() {
        Constraint withNull = Constraint.newBuilder(constraint("platform", IN, "IOS"))
                .setValues(Arrays.asList("IOS", null))
                .build();
        FlagChangedEvent flag = flag("checkout", 0);
        flag.setRules(List.of(serve("ios", "blue", withNull)));

        assertThat(TargetingValidation.validate(flag))
                .containsExactly(new Problem(
                        "rules[0].constraints[0].values", "rule ios: constraint 0 (platform IN): a value is null"));
        assertThat(FlagEvaluator.evaluate(flag, TargetingFixtures.context("u", "platform", "IOS"), k -> null, false)
                        .ruleId())
                .isNull();
    }

    @Test
    void aSegmentIsValidatedOnItsOwn() {
        assertThat(TargetingValidation.validate(segment("beta-testers", constraint("appVersion", SEMVER_GTE, "4"))))
                .containsExactly(new Problem(
                        "constraints[0].values",
                        "segment beta-testers: constraint 0 (appVersion SEMVER_GTE): '4' is not a semantic version"
                                + " (MAJOR.MINOR.PATCH[-pre-release][+build])"));
        assertThat(TargetingValidation.validate(segment("bad key")))
                .extracting(Problem::path)
                .containsExactly("key");
    }
}
