package dev.rollguard.schemas.targeting;

import static dev.rollguard.schemas.event.ConstraintOperator.IN;
import static dev.rollguard.schemas.targeting.TargetingFixtures.constraint;
import static dev.rollguard.schemas.targeting.TargetingFixtures.context;
import static dev.rollguard.schemas.targeting.TargetingFixtures.flag;
import static dev.rollguard.schemas.targeting.TargetingFixtures.inSegments;
import static dev.rollguard.schemas.targeting.TargetingFixtures.segment;
import static dev.rollguard.schemas.targeting.TargetingFixtures.serve;
import static dev.rollguard.schemas.targeting.TargetingFixtures.share;
import static dev.rollguard.schemas.targeting.TargetingFixtures.weight;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.schemas.event.FlagChangedEvent;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The share whose random draws the guard compares, and which evaluations were drawn at it. */
class BucketDrawsTest {

    @Test
    void aPlainShareIsItsOwnDrawWhenItSplits() {
        assertThat(BucketDraws.share(flag("f", 1_000))).isEqualTo(1_000);
        assertThat(BucketDraws.share(flag("f", 0))).isEqualTo(BucketDraws.NONE);
        assertThat(BucketDraws.share(flag("f", 10_000))).isEqualTo(BucketDraws.NONE);
    }

    @Test
    void anAllowListAtNoShareDrawsNobody() {
        FlagChangedEvent internal = flag("f", 0);
        internal.setAllowList(List.of("staff-1", "staff-2"));

        assertThat(Rollouts.underRollout(internal)).isTrue();
        assertThat(BucketDraws.share(internal)).isEqualTo(BucketDraws.NONE);
    }

    @Test
    void weightedVariantsAtFullShareDrawNoControl() {
        FlagChangedEvent full = flag("f", 10_000);
        full.setVariantWeights(List.of(weight("blue", 5_000), weight("green", 5_000)));

        assertThat(BucketDraws.share(full)).isEqualTo(BucketDraws.NONE);
    }

    @Test
    void aRuleThatMatchesEveryoneStandsForTheFlagsOwnShare() {
        FlagChangedEvent byRule = flag("f", 5_000);
        byRule.setRules(List.of(share("all", 2_000)));
        FlagChangedEvent bySegment = flag("f", 5_000);
        bySegment.setSegments(List.of(segment("everyone")));
        bySegment.setRules(List.of(inSegments(share("all", 2_000), "everyone")));
        FlagChangedEvent fixedForEveryone = flag("f", 5_000);
        fixedForEveryone.setRules(List.of(serve("all", "on")));

        assertThat(BucketDraws.share(byRule)).isEqualTo(2_000);
        assertThat(BucketDraws.share(bySegment))
                .as("a rule whose only segment has no constraints matches everyone too")
                .isEqualTo(2_000);
        assertThat(BucketDraws.share(fixedForEveryone)).isEqualTo(BucketDraws.NONE);
    }

    @Test
    void withoutASplittingOwnShareTheFirstSplittingRuleIsCompared() {
        FlagChangedEvent iosFirst = flag("f", 0);
        iosFirst.setRules(List.of(
                serve("beta", "on", constraint("channel", IN, "beta")),
                share("ios", 2_500, constraint("platform", IN, "IOS")),
                share("web", 5_000, constraint("platform", IN, "WEB"))));

        assertThat(BucketDraws.share(iosFirst)).isEqualTo(2_500);
    }

    @Test
    void onlyEvaluationsSplitAtTheComparedShareAreDrawn() {
        FlagChangedEvent flag = flag("f", 1_000);
        flag.setAllowList(List.of("staff"));
        flag.setRules(List.of(
                serve("beta", "on", constraint("channel", IN, "beta")),
                share("ios", 1_000, constraint("platform", IN, "IOS")),
                share("web", 5_000, constraint("platform", IN, "WEB"))));
        int compared = BucketDraws.share(flag);

        assertThat(compared).isEqualTo(1_000);
        assertThat(BucketDraws.drawn(
                        flag, FlagEvaluator.evaluate(flag, context("staff"), key -> null, false), compared))
                .as("allow-listed: served by who it is")
                .isFalse();
        assertThat(BucketDraws.listed(flag, "staff")).isTrue();
        assertThat(BucketDraws.drawn(
                        flag,
                        FlagEvaluator.evaluate(flag, context("u1", "channel", "beta"), key -> null, false),
                        compared))
                .as("a fixed variant by rule")
                .isFalse();
        assertThat(BucketDraws.drawn(
                        flag,
                        FlagEvaluator.evaluate(flag, context("u1", "platform", "IOS"), key -> null, false),
                        compared))
                .as("a rule at the compared share pools with the flag's own")
                .isTrue();
        assertThat(BucketDraws.drawn(
                        flag,
                        FlagEvaluator.evaluate(flag, context("u1", "platform", "WEB"), key -> null, false),
                        compared))
                .as("drawn at another share")
                .isFalse();
        for (int i = 0; i < 50; i++) {
            // Treated or not, every subject the share reaches was drawn (the control is drawn too).
            assertThat(BucketDraws.drawn(
                            flag, FlagEvaluator.evaluate(flag, context("u" + i), key -> null, false), compared))
                    .isTrue();
        }
    }
}
