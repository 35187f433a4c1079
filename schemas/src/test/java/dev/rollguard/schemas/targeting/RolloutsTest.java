package dev.rollguard.schemas.targeting;

import static dev.rollguard.schemas.event.ConstraintOperator.IN;
import static dev.rollguard.schemas.targeting.TargetingFixtures.constraint;
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

/** A flag is under rollout (guarded) when some subject can get a treatment and some other the control. */
class RolloutsTest {

    @Test
    void aPlainShareIsUnderRolloutStrictlyBetweenNoneAndAll() {
        assertThat(Rollouts.underRollout(flag("f", 0))).isFalse();
        assertThat(Rollouts.underRollout(flag("f", 1))).isTrue();
        assertThat(Rollouts.underRollout(flag("f", 9_999))).isTrue();
        assertThat(Rollouts.underRollout(flag("f", 10_000))).isFalse();
    }

    @Test
    void listsGiveTheMissingSide() {
        FlagChangedEvent internal = flag("f", 0);
        internal.setAllowList(List.of("staff"));
        FlagChangedEvent allButSome = flag("f", 10_000);
        allButSome.setDenyList(List.of("partner"));
        FlagChangedEvent allowedAndDenied = flag("f", 0);
        allowedAndDenied.setAllowList(List.of("x"));
        allowedAndDenied.setDenyList(List.of("x"));

        assertThat(Rollouts.underRollout(internal)).isTrue();
        assertThat(Rollouts.underRollout(allButSome)).isTrue();
        assertThat(Rollouts.underRollout(allowedAndDenied))
                .as("the deny-list wins: nobody is treated")
                .isFalse();
    }

    @Test
    void rulesCountOnBothSides() {
        FlagChangedEvent iosOnly = flag("f", 0);
        iosOnly.setRules(List.of(serve("ios", "on", constraint("platform", IN, "IOS"))));
        FlagChangedEvent allButWeb = flag("f", 10_000);
        allButWeb.setRules(List.of(serve("web", "off", constraint("platform", IN, "WEB"))));
        FlagChangedEvent iosShare = flag("f", 0);
        iosShare.setRules(List.of(share("ios", 2_500, constraint("platform", IN, "IOS"))));
        FlagChangedEvent everyoneFirst = flag("f", 5_000);
        everyoneFirst.setRules(List.of(serve("everyone", "on")));

        assertThat(Rollouts.underRollout(iosOnly)).isTrue();
        assertThat(Rollouts.underRollout(allButWeb)).isTrue();
        assertThat(Rollouts.underRollout(iosShare)).isTrue();
        assertThat(Rollouts.underRollout(everyoneFirst))
                .as("a rule matching everyone hides the 50 % share")
                .isFalse();
    }

    @Test
    void weightsAloneAtFullShareLeaveNoControl() {
        FlagChangedEvent full = flag("f", 10_000);
        full.setVariantWeights(List.of(weight("blue", 5_000), weight("green", 5_000)));
        FlagChangedEvent half = flag("f", 5_000);
        half.setVariantWeights(List.of(weight("blue", 5_000), weight("green", 5_000)));

        assertThat(Rollouts.underRollout(full)).isFalse();
        assertThat(Rollouts.underRollout(half)).isTrue();
    }

    @Test
    void aFlagOffKilledOrArchivedIsNotUnderRollout() {
        FlagChangedEvent off = flag("f", 5_000);
        off.setEnabled(false);
        FlagChangedEvent killed = flag("f", 5_000);
        killed.setKilled(true);
        FlagChangedEvent archived = flag("f", 5_000);
        archived.setArchived(true);

        assertThat(List.of(off, killed, archived)).noneMatch(Rollouts::underRollout);
    }

    @Test
    void aRuleWhoseSegmentsHaveNoConstraintsMatchesEveryone() {
        // "everyone" is a segment without constraints: the rule serving it the treatment takes every subject, so the
        // 50 % share after it is never reached and nobody gets the control.
        FlagChangedEvent everyoneBySegment = flag("f", 5_000);
        everyoneBySegment.setSegments(List.of(segment("everyone")));
        everyoneBySegment.setRules(List.of(inSegments(serve("all", "on"), "everyone")));
        FlagChangedEvent iosBySegment = flag("f", 5_000);
        iosBySegment.setSegments(List.of(segment("ios", constraint("platform", IN, "IOS"))));
        iosBySegment.setRules(List.of(inSegments(serve("ios", "on"), "ios")));
        FlagChangedEvent unknownSegment = flag("f", 10_000);
        unknownSegment.setRules(List.of(inSegments(serve("ghost", "on"), "missing")));

        assertThat(Rollouts.matchesEveryone(everyoneBySegment.getRules().get(0), everyoneBySegment))
                .isTrue();
        assertThat(Rollouts.underRollout(everyoneBySegment)).isFalse();
        assertThat(Rollouts.matchesEveryone(iosBySegment.getRules().get(0), iosBySegment))
                .isFalse();
        assertThat(Rollouts.underRollout(iosBySegment)).isTrue();
        assertThat(Rollouts.matchesEveryone(unknownSegment.getRules().get(0), unknownSegment))
                .as("a segment the flag does not carry matches nobody")
                .isFalse();
    }
}
