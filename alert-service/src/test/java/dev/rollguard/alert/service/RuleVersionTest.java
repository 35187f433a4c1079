package dev.rollguard.alert.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.alert.domain.Level;
import dev.rollguard.alert.domain.NoDataPolicy;
import dev.rollguard.alert.domain.RuleComparator;
import dev.rollguard.alert.domain.RuleDefinition;
import dev.rollguard.alert.domain.ScopeSelector;
import dev.rollguard.alert.domain.ScopeState;
import dev.rollguard.alert.service.RuleEvaluationService.Tracked;
import dev.rollguard.schemas.event.ScopeType;
import dev.rollguard.schemas.event.Severity;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Which states a changed rule's former definition ends: every state not started under the rule as it is now. The two
 * syncs of one change spare what the new definition started; a state of an older definition this instance never
 * knew (judged elsewhere before its partition moved here) and one of a rule deleted and created again (versions start
 * at 1 again) end.
 */
class RuleVersionTest {

    static RuleDefinition rule(long version) {
        return created(version, null);
    }

    static Tracked startedUnder(Long version) {
        return new Tracked(null, ScopeState.INITIAL, version, null);
    }

    /** The rule at {@code version}, created at {@code createdAt} (null: not known). */
    static RuleDefinition created(long version, Instant createdAt) {
        return new RuleDefinition(
                "slow",
                "Slow syncs",
                "durationMaxMs",
                RuleComparator.GT,
                new Level(Severity.WARNING, 1000, Duration.ZERO),
                new Level(Severity.CRITICAL, 5000, Duration.ZERO),
                Duration.ofMinutes(5),
                0,
                NoDataPolicy.KEEP_STATE,
                new ScopeSelector(Set.of(ScopeType.GLOBAL), null, null, null, null, null),
                0.99,
                true,
                Map.of(),
                Map.of(),
                version,
                createdAt);
    }

    @Test
    void aStateOfTheSameVersionOfTheRuleBeforeItWasDeletedAndCreatedAgainIsNot() {
        Instant first = Instant.parse("2026-12-05T08:00:00.123456Z");
        Instant again = Instant.parse("2026-12-05T09:30:00.654321Z");
        Tracked underFirst = new Tracked(null, ScopeState.INITIAL, 1L, first);

        assertThat(underFirst.startedUnder(created(1, first))).isTrue();
        assertThat(underFirst.startedUnder(created(1, again))).isFalse();
        // Stored before states carried the creation time: the version alone decides, as before.
        assertThat(startedUnder(1L).startedUnder(created(1, again))).isTrue();
    }

    @Test
    void aStateStartedUnderTheCurrentDefinitionIsSpared() {
        assertThat(startedUnder(3L).startedUnder(rule(3))).isTrue();
    }

    @Test
    void aStateOfAnyOtherDefinitionIsNot() {
        // The former definition, seen by this instance's sync.
        assertThat(startedUnder(2L).startedUnder(rule(3))).isFalse();
        // Older than this instance's former definition: judged elsewhere before its partition moved here.
        assertThat(startedUnder(1L).startedUnder(rule(3))).isFalse();
        // Of a rule deleted and created again, whose versions started at 1 again.
        assertThat(startedUnder(7L).startedUnder(rule(1))).isFalse();
        // Stored before states carried versions.
        assertThat(startedUnder(null).startedUnder(rule(1))).isFalse();
    }

    /** The rule at {@code version}, created at {@code createdAt}, with a critical threshold and annotations. */
    static RuleDefinition edited(long version, Instant createdAt, double critical, boolean enabled, String runbook) {
        RuleDefinition base = created(version, createdAt);
        return new RuleDefinition(
                base.id(),
                base.name(),
                base.metric(),
                base.comparator(),
                base.warning(),
                new Level(Severity.CRITICAL, critical, Duration.ZERO),
                base.keepFiringFor(),
                base.minSampleSize(),
                base.noDataPolicy(),
                base.scope(),
                base.confidence(),
                enabled,
                base.labels(),
                Map.of("runbook_url", runbook),
                version,
                createdAt);
    }

    static Tracked judgedUnder(RuleDefinition rule) {
        return new Tracked(null, ScopeState.INITIAL, rule.version(), rule.createdAt(), rule);
    }

    @Test
    void aStateEndsWhenItsRuleIsDeletedDisabledOrChangedInWhatItsAlertsAre() {
        Instant created = Instant.parse("2026-12-05T08:00:00.123456Z");
        Tracked state = judgedUnder(edited(2, created, 5000, true, "a"));

        assertThat(state.endReason(null, true)).isEqualTo("rule retired");
        assertThat(state.endReason(edited(3, created, 5000, false, "a"), false)).isEqualTo("rule retired");
        assertThat(state.endReason(edited(3, created, 9000, true, "a"), false)).isEqualTo("rule changed");
        // Deleted and created again, the same definition otherwise.
        assertThat(state.endReason(edited(1, created.plusSeconds(60), 5000, true, "a"), false))
                .isEqualTo("rule changed");
    }

    @Test
    void aStateStandsWhenItsRuleRaisesTheSameAlertsOrWasReadBeforeTheStateWasJudged() {
        Instant created = Instant.parse("2026-12-05T08:00:00.123456Z");
        Tracked state = judgedUnder(edited(2, created, 5000, true, "a"));

        // Annotations alone changed, or disabled and enabled again between two reads.
        assertThat(state.endReason(edited(3, created, 5000, true, "b"), true)).isNull();
        assertThat(state.endReason(edited(4, created, 5000, true, "a"), true)).isNull();
        // The rules read here are older than the state (judged elsewhere after a change not read here yet).
        assertThat(state.endReason(edited(1, created, 1000, false, "a"), true)).isNull();
        assertThat(state.endReason(edited(7, created.minusSeconds(60), 1000, true, "a"), true))
                .isNull();
        // Missing from rules read before the state was loaded: perhaps created since; the next read decides.
        assertThat(state.endReason(null, false)).isNull();
    }

    @Test
    void aStateStoredWithoutItsDefinitionIsTakenAsJudgedUnderTheRuleAsItIsNow() {
        Instant created = Instant.parse("2026-12-05T08:00:00.123456Z");
        Tracked legacy = new Tracked(null, ScopeState.INITIAL, 2L, created);
        // Raised by the no-data sweep from an idle state restored after a restart: no version, no definition.
        Tracked raisedBySweep = new Tracked(null, ScopeState.INITIAL, null, null);

        assertThat(legacy.endReason(edited(2, created, 5000, true, "a"), true)).isNull();
        assertThat(legacy.endReason(edited(3, created, 5000, true, "b"), true))
                .as("a version apart may be an edit of annotations only: not resolved and fired again")
                .isNull();
        assertThat(raisedBySweep.endReason(edited(3, created, 5000, true, "a"), true))
                .isNull();
        assertThat(legacy.endReason(edited(3, created, 5000, false, "a"), true)).isEqualTo("rule retired");
        assertThat(legacy.endReason(null, true)).isEqualTo("rule retired");
    }
}
