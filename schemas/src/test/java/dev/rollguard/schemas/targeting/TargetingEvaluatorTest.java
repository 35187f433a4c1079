package dev.rollguard.schemas.targeting;

import static dev.rollguard.schemas.event.ConstraintOperator.IN;
import static dev.rollguard.schemas.event.ConstraintOperator.MATCHES;
import static dev.rollguard.schemas.event.ConstraintOperator.SEMVER_GTE;
import static dev.rollguard.schemas.event.ConstraintOperator.STR_ENDS_WITH;
import static dev.rollguard.schemas.targeting.TargetingFixtures.constraint;
import static dev.rollguard.schemas.targeting.TargetingFixtures.context;
import static dev.rollguard.schemas.targeting.TargetingFixtures.flag;
import static dev.rollguard.schemas.targeting.TargetingFixtures.inSegments;
import static dev.rollguard.schemas.targeting.TargetingFixtures.segment;
import static dev.rollguard.schemas.targeting.TargetingFixtures.serve;
import static dev.rollguard.schemas.targeting.TargetingFixtures.share;
import static dev.rollguard.schemas.targeting.TargetingFixtures.weight;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import dev.rollguard.schemas.bucketing.Bucketing;
import dev.rollguard.schemas.event.FlagChangedEvent;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.commons.math3.stat.inference.ChiSquareTest;
import org.junit.jupiter.api.Test;

/** Rules, segments and weighted variants in the shared evaluation order. */
class TargetingEvaluatorTest {

    private final Map<String, FlagChangedEvent> flags = new HashMap<>();

    @Test
    void theFirstMatchingRuleDecidesAndNamesItself() {
        FlagChangedEvent flag = flag("checkout", 0);
        flag.setRules(List.of(
                serve("ios", "blue", constraint("platform", IN, "IOS")),
                serve("new-app", "green", constraint("appVersion", SEMVER_GTE, "4.2.0"))));

        assertThat(evaluate(flag, context("u", "platform", "IOS", "appVersion", "5.0.0")))
                .isEqualTo(new Evaluation("blue", true, EvaluationReason.TARGETING_MATCH, null, "ios"));
        assertThat(evaluate(flag, context("u", "platform", "ANDROID", "appVersion", "5.0.0")))
                .isEqualTo(new Evaluation("green", true, EvaluationReason.TARGETING_MATCH, null, "new-app"));
        assertThat(evaluate(flag, context("u", "platform", "ANDROID", "appVersion", "4.1.0")))
                .as("no rule matches: the flag's own rollout of 0 %")
                .isEqualTo(new Evaluation("off", false, EvaluationReason.DEFAULT, null, null));
    }

    @Test
    void aRuleServingTheOffVariantIsAControlMatch() {
        FlagChangedEvent flag = flag("checkout", 10_000);
        flag.setRules(List.of(serve("not-on-web", "off", constraint("platform", IN, "WEB"))));

        assertThat(evaluate(flag, context("u", "platform", "WEB")))
                .isEqualTo(new Evaluation("off", false, EvaluationReason.TARGETING_MATCH, null, "not-on-web"));
        assertThat(evaluate(flag, context("u", "platform", "IOS")))
                .isEqualTo(new Evaluation("on", true, EvaluationReason.STATIC, null, null));
    }

    @Test
    void aRuleWithoutVariantRollsOutOnItsOwnShareByTheFlagsBucket() {
        FlagChangedEvent flag = flag("checkout", 0);
        flag.setRules(List.of(share("ios-quarter", 2_500, constraint("platform", IN, "IOS"))));

        for (int i = 0; i < 500; i++) {
            String subject = "user-" + i;
            Evaluation result = evaluate(flag, context(subject, "platform", "IOS"));
            boolean in = Bucketing.inRollout("checkout", subject, 2_500);
            assertThat(result)
                    .isEqualTo(new Evaluation(in ? "on" : "off", in, EvaluationReason.SPLIT, null, "ios-quarter"));
        }
        assertThat(evaluate(flag, context(null, "platform", "IOS")))
                .isEqualTo(new Evaluation(
                        "off", false, EvaluationReason.ERROR, Evaluation.TARGETING_KEY_MISSING, "ios-quarter"));
    }

    @Test
    void aRuleShareOfAllOrNothingIsATargetingMatchWithoutABucket() {
        FlagChangedEvent flag = flag("checkout", 5_000);
        flag.setRules(List.of(
                share("all-ios", 10_000, constraint("platform", IN, "IOS")),
                share("no-web", 0, constraint("platform", IN, "WEB"))));

        assertThat(evaluate(flag, context(null, "platform", "IOS")))
                .isEqualTo(new Evaluation("on", true, EvaluationReason.TARGETING_MATCH, null, "all-ios"));
        assertThat(evaluate(flag, context(null, "platform", "WEB")))
                .isEqualTo(new Evaluation("off", false, EvaluationReason.TARGETING_MATCH, null, "no-web"));
    }

    @Test
    void killSwitchesParentAndListsKeepPrecedenceOverRules() {
        FlagChangedEvent flag = flag("checkout", 0);
        flag.setAllowList(List.of("vip"));
        flag.setDenyList(List.of("banned"));
        flag.setRules(List.of(serve("everyone", "blue")));
        flags.put("checkout", flag);

        assertThat(evaluate(flag, context("banned")))
                .isEqualTo(new Evaluation("off", false, EvaluationReason.TARGETING_MATCH, null, null));
        assertThat(evaluate(flag, context("vip")))
                .isEqualTo(new Evaluation("on", true, EvaluationReason.TARGETING_MATCH, null, null));
        assertThat(evaluate(flag, context("someone")).ruleId()).isEqualTo("everyone");
        assertThat(FlagEvaluator.evaluate(flag, context("someone"), flags::get, true))
                .isEqualTo(new Evaluation("off", false, EvaluationReason.DISABLED, null, null));
        flag.setKilled(true);
        assertThat(evaluate(flag, context("someone")).reason()).isEqualTo(EvaluationReason.DISABLED);
    }

    @Test
    void theParentIsEvaluatedWithTheSameContext() {
        FlagChangedEvent parent = flag("new-ui", 0);
        parent.setRules(List.of(serve("ios", "on", constraint("platform", IN, "IOS"))));
        flags.put("new-ui", parent);
        FlagChangedEvent child = flag("new-ui.dark", 10_000);
        child.setParentKey("new-ui");

        assertThat(evaluate(child, context("u", "platform", "IOS")))
                .isEqualTo(new Evaluation("on", true, EvaluationReason.STATIC, null, null));
        assertThat(evaluate(child, context("u", "platform", "WEB")))
                .isEqualTo(new Evaluation("off", false, EvaluationReason.DISABLED, null, null));
    }

    @Test
    void aRuleMatchesOnlyWhenEverySegmentAndConstraintMatches() {
        FlagChangedEvent flag = flag("checkout", 0);
        flag.setSegments(List.of(
                segment("staff", constraint("email", STR_ENDS_WITH, "@example.com")),
                segment("mobile", constraint("platform", IN, "IOS", "ANDROID"))));
        flag.setRules(List.of(
                inSegments(
                        serve("staff-mobile-new", "blue", constraint("appVersion", SEMVER_GTE, "4.2.0")),
                        "staff",
                        "mobile"),
                inSegments(serve("ghost", "green"), "no-such-segment")));

        assertThat(evaluate(flag, context("u", "email", "ann@example.com", "platform", "IOS", "appVersion", "4.2.0"))
                        .variant())
                .isEqualTo("blue");
        assertThat(evaluate(flag, context("u", "email", "ann@gmail.com", "platform", "IOS", "appVersion", "4.2.0"))
                        .ruleId())
                .as("outside the staff segment; the rule on an unknown segment matches nobody")
                .isNull();
        assertThat(evaluate(flag, context("u", "email", "ann@example.com", "platform", "WEB", "appVersion", "4.2.0"))
                        .ruleId())
                .isNull();
        assertThat(evaluate(
                                flag,
                                context("u", "email", "ann@example.com", "platform", "ANDROID", "appVersion", "4.1.0"))
                        .ruleId())
                .isNull();
    }

    @Test
    void rulesReadingOneAttributeInDifferentWaysEachSeeItTheirWay() {
        FlagChangedEvent flag = flag("checkout", 0);
        flag.setRules(List.of(
                serve("exact", "blue", constraint("platform", IN, "ios")),
                serve("folded", "green", TargetingFixtures.ignoringCase(constraint("platform", IN, "ios"))),
                serve("as-version", "on", constraint("platform", SEMVER_GTE, "1.0.0"))));

        assertThat(evaluate(flag, context("u", "platform", "ios")).ruleId()).isEqualTo("exact");
        assertThat(evaluate(flag, context("u", "platform", "IOS")).ruleId()).isEqualTo("folded");
        assertThat(evaluate(flag, context("u", "platform", "2.0.0")).ruleId()).isEqualTo("as-version");
        assertThat(evaluate(flag, context("u", "platform", "web")).ruleId()).isNull();
    }

    @Test
    void aRuleOnAnAttributeTheOldSignatureDoesNotCarryDoesNotMatch() {
        FlagChangedEvent flag = flag("checkout", 0);
        flag.setRules(List.of(
                serve("ios", "blue", constraint("platform", IN, "IOS")),
                serve("staff", "green", constraint("targetingKey", STR_ENDS_WITH, "@example.com"))));

        assertThat(FlagEvaluator.evaluate(flag, "ann@example.com", flags::get, false))
                .isEqualTo(new Evaluation("green", true, EvaluationReason.TARGETING_MATCH, null, "staff"));
        assertThat(FlagEvaluator.evaluate(flag, "someone", flags::get, false))
                .isEqualTo(new Evaluation("off", false, EvaluationReason.DEFAULT, null, null));
    }

    @Test
    void weightedVariantsSplitTheTreatedByTheirWeightsWithinTolerance() {
        FlagChangedEvent flag = flag("colours", 5_000);
        flag.setVariantWeights(List.of(weight("blue", 2_000), weight("green", 3_000), weight("on", 5_000)));
        int subjects = 100_000;
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < subjects; i++) {
            Evaluation result = evaluate(flag, context("user-" + i));
            counts.merge(result.variant(), 1, Integer::sum);
            assertThat(result.reason()).isEqualTo(EvaluationReason.SPLIT);
            assertThat(result.treated()).isEqualTo(!result.variant().equals("off"));
        }
        // 50 % off; the treated half split 20/30/50: expected 10 000, 15 000, 25 000 (sd at most about 140).
        assertThat(counts.get("off")).isCloseTo(50_000, within(1_000));
        assertThat(counts.get("blue")).isCloseTo(10_000, within(600));
        assertThat(counts.get("green")).isCloseTo(15_000, within(700));
        assertThat(counts.get("on")).isCloseTo(25_000, within(900));
        double p = new ChiSquareTest().chiSquareTest(new double[] {0.5, 0.1, 0.15, 0.25}, new long[] {
            counts.get("off"), counts.get("blue"), counts.get("green"), counts.get("on")
        });
        assertThat(p).as("chi-square p-value of the four cohorts").isGreaterThan(0.001);
    }

    @Test
    void aSubjectKeepsItsVariantWhenTheShareRises() {
        List<FlagChangedEvent> ramp = IntStream.of(500, 1_000, 5_000, 10_000)
                .mapToObj(share -> {
                    FlagChangedEvent flag = flag("colours", share);
                    flag.setVariantWeights(List.of(weight("blue", 5_000), weight("green", 5_000)));
                    return flag;
                })
                .toList();
        int movedIn = 0;
        for (int i = 0; i < 5_000; i++) {
            EvaluationContext subject = context("user-" + i);
            String first = null;
            for (FlagChangedEvent flag : ramp) {
                String variant = evaluate(flag, subject).variant();
                if (first != null) {
                    assertThat(variant)
                            .as("user-%d at %d bp", i, flag.getRolloutBasisPoints())
                            .isEqualTo(first);
                } else if (!variant.equals("off")) {
                    first = variant;
                }
            }
            movedIn += first == null ? 0 : 1;
        }
        assertThat(movedIn).as("everyone is treated at 100 %").isEqualTo(5_000);
    }

    @Test
    void theVariantBucketIsIndependentOfTheRolloutBucket() {
        long[][] table = new long[2][2];
        for (int i = 0; i < 50_000; i++) {
            String id = "client-" + i;
            table[Bucketing.bucket("colours", id) < 5_000 ? 1 : 0][
                    Bucketing.variantBucket("colours", id) < 5_000 ? 1 : 0]++;
        }
        assertThat(new ChiSquareTest().chiSquareTest(table))
                .as("p-value of independence")
                .isGreaterThan(0.001);
    }

    @Test
    void aWeightedFullRolloutIsASplitThatNeedsATargetingKey() {
        FlagChangedEvent flag = flag("colours", 10_000);
        flag.setVariantWeights(List.of(weight("blue", 5_000), weight("green", 5_000)));

        Evaluation result = evaluate(flag, context("user-1"));
        String expected = Bucketing.variantBucket("colours", "user-1") < 5_000 ? "blue" : "green";
        assertThat(result).isEqualTo(new Evaluation(expected, true, EvaluationReason.SPLIT, null, null));
        assertThat(evaluate(flag, context(" ")))
                .isEqualTo(new Evaluation("off", false, EvaluationReason.ERROR, Evaluation.TARGETING_KEY_MISSING));
    }

    @Test
    void aRuleShareIsWeightedToo() {
        FlagChangedEvent flag = flag("colours", 0);
        flag.setVariantWeights(List.of(weight("blue", 5_000), weight("green", 5_000)));
        flag.setRules(List.of(share("ios", 10_000, constraint("platform", IN, "IOS"))));

        for (int i = 0; i < 200; i++) {
            String subject = "user-" + i;
            String expected = Bucketing.variantBucket("colours", subject) < 5_000 ? "blue" : "green";
            assertThat(evaluate(flag, context(subject, "platform", "IOS")))
                    .isEqualTo(new Evaluation(expected, true, EvaluationReason.SPLIT, null, "ios"));
        }
    }

    @Test
    void weightsThatDoNotSumToTheWholeAreIgnored() {
        FlagChangedEvent flag = flag("colours", 10_000);
        flag.setVariantWeights(List.of(weight("blue", 5_000), weight("green", 4_000)));

        assertThat(evaluate(flag, context("user-1")))
                .isEqualTo(new Evaluation("on", true, EvaluationReason.STATIC, null, null));
    }

    @Test
    void rulesAreCompiledOncePerFlagObjectAndAgainWhenItsListsAreReplaced() {
        FlagChangedEvent flag = flag("checkout", 0);
        flag.setRules(List.of(serve("ios", "blue", constraint("platform", MATCHES, "^I"))));
        assertThat(evaluate(flag, context("u", "platform", "IOS")).variant()).isEqualTo("blue");
        CompiledFlag compiled = CompiledFlag.of(flag);
        assertThat(CompiledFlag.of(flag)).isSameAs(compiled);

        FlagChangedEvent sameKeyAndVersion = flag("checkout", 0);
        sameKeyAndVersion.setRules(List.of(serve("web", "green", constraint("platform", IN, "WEB"))));
        assertThat(evaluate(sameKeyAndVersion, context("u", "platform", "WEB")).variant())
                .as("a draft with the same key and version has its own rules")
                .isEqualTo("green");
        assertThat(evaluate(flag, context("u", "platform", "WEB")).variant()).isEqualTo("off");

        flag.setRules(List.of(serve("web", "green", constraint("platform", IN, "WEB"))));
        assertThat(evaluate(flag, context("u", "platform", "WEB")).variant()).isEqualTo("green");
        assertThat(CompiledFlag.of(flag)).isNotSameAs(compiled);
    }

    @Test
    void aCollectedFlagLeavesTheCache() {
        int before = CompiledFlag.cached();
        for (int i = 0; i < 1_000; i++) {
            FlagChangedEvent flag = flag("short-lived-" + i, 0);
            flag.setRules(List.of(serve("r", "blue")));
            evaluate(flag, context("u"));
        }
        assertThat(CompiledFlag.cached()).isGreaterThanOrEqualTo(1_000);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            System.gc();
            assertThat(CompiledFlag.cached()).isLessThan(before + 1_000);
        });
    }

    private Evaluation evaluate(FlagChangedEvent flag, EvaluationContext context) {
        return FlagEvaluator.evaluate(flag, context, flags::get, false);
    }
}
