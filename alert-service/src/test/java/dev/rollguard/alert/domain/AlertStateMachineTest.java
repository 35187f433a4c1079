package dev.rollguard.alert.domain;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.schemas.event.AlertStatus;
import dev.rollguard.schemas.event.ScopeType;
import dev.rollguard.schemas.event.Severity;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The state machine of one rule for one scope, fed with one-minute windows. */
class AlertStateMachineTest {

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final Duration MINUTE = Duration.ofMinutes(1);

    private final AlertStateMachine machine = new AlertStateMachine(new FlapPolicy(3, Duration.ofHours(1)));

    private ScopeState state = ScopeState.INITIAL;
    private int minute;
    private final List<Transition> emitted = new ArrayList<>();

    private static RuleDefinition rule(
            Level warning, Level critical, Duration keepFiringFor, long minSamples, NoDataPolicy noData) {
        return new RuleDefinition(
                "error-rate",
                "Error rate",
                "errorRate",
                RuleComparator.GT,
                warning,
                critical,
                keepFiringFor,
                minSamples,
                noData,
                new ScopeSelector(EnumSet.of(ScopeType.GLOBAL), null, null, null, null, null),
                0.99,
                true,
                Map.of(),
                Map.of(),
                1,
                null);
    }

    private static Level warning(double threshold, int forMinutes) {
        return new Level(Severity.WARNING, threshold, Duration.ofMinutes(forMinutes));
    }

    private static Level critical(double threshold, int forMinutes) {
        return new Level(Severity.CRITICAL, threshold, Duration.ofMinutes(forMinutes));
    }

    /** Feeds the next one-minute window and returns the transitions it caused. */
    private List<Transition> window(RuleDefinition rule, Double value, long samples) {
        Instant start = T0.plus(MINUTE.multipliedBy(minute++));
        AlertStateMachine.Step step =
                machine.observe(rule, state, Observation.of(start, start.plus(MINUTE), value, samples));
        state = step.state();
        emitted.addAll(step.transitions());
        return step.transitions();
    }

    private List<Transition> windows(RuleDefinition rule, int count, Double value) {
        List<Transition> all = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            all.addAll(window(rule, value, 1000));
        }
        return all;
    }

    @Test
    void breachGoesPendingThenFiresAfterFor() {
        RuleDefinition rule = rule(null, critical(0.05, 5), Duration.ZERO, 100, NoDataPolicy.KEEP_STATE);

        assertThat(windows(rule, 4, 0.08)).isEmpty();
        assertThat(state.critical().phase()).isEqualTo(Phase.PENDING);
        assertThat(state.critical().firstBreachAt()).isEqualTo(T0);

        List<Transition> fifth = window(rule, 0.08, 1000);
        assertThat(fifth).singleElement().satisfies(t -> {
            assertThat(t.status()).isEqualTo(AlertStatus.FIRING);
            assertThat(t.severity()).isEqualTo(Severity.CRITICAL);
            assertThat(t.level().firstBreachAt()).isEqualTo(T0);
            assertThat(t.startsAt()).isEqualTo(T0.plus(MINUTE.multipliedBy(5)));
        });
        assertThat(state.critical().phase()).isEqualTo(Phase.FIRING);
    }

    @Test
    void healthyWindowBeforeForResetsThePendingBreach() {
        RuleDefinition rule = rule(null, critical(0.05, 5), Duration.ZERO, 100, NoDataPolicy.KEEP_STATE);

        windows(rule, 4, 0.08);
        window(rule, 0.01, 1000);
        assertThat(state.critical().phase()).isEqualTo(Phase.INACTIVE);
        assertThat(windows(rule, 4, 0.08)).isEmpty();
        assertThat(state.critical().firstBreachAt()).isEqualTo(T0.plus(MINUTE.multipliedBy(5)));
        assertThat(window(rule, 0.08, 1000)).hasSize(1);
    }

    @Test
    void neverFiresTwiceWhileFiring() {
        RuleDefinition rule = rule(null, critical(0.05, 0), Duration.ZERO, 100, NoDataPolicy.KEEP_STATE);

        assertThat(windows(rule, 30, 0.5)).hasSize(1);
    }

    @Test
    void keepFiringForHoldsTheAlertThroughShortRecoveries() {
        RuleDefinition rule = rule(null, critical(0.05, 0), Duration.ofMinutes(3), 100, NoDataPolicy.KEEP_STATE);

        window(rule, 0.5, 1000);
        assertThat(windows(rule, 2, 0.01)).isEmpty();
        window(rule, 0.5, 1000); // breach again: the healthy stretch starts over
        assertThat(windows(rule, 2, 0.01)).isEmpty();
        List<Transition> third = window(rule, 0.01, 1000);
        assertThat(third).singleElement().satisfies(t -> {
            assertThat(t.status()).isEqualTo(AlertStatus.RESOLVED);
            assertThat(t.startsAt()).isEqualTo(T0.plus(MINUTE));
            assertThat(t.endsAt()).isEqualTo(T0.plus(MINUTE.multipliedBy(7)));
        });
        assertThat(emitted).extracting(Transition::status).containsExactly(AlertStatus.FIRING, AlertStatus.RESOLVED);
    }

    @Test
    void windowsBelowTheMinimumSampleSizeNeitherBreachNorHeal() {
        RuleDefinition rule = rule(null, critical(0.05, 2), Duration.ZERO, 100, NoDataPolicy.KEEP_STATE);

        window(rule, 0.5, 1000);
        window(rule, 0.0, 5); // too few events to count as healthy
        assertThat(state.critical().phase()).isEqualTo(Phase.PENDING);
        assertThat(window(rule, 0.5, 1000)).hasSize(1);

        RuleDefinition strict = rule(null, critical(0.05, 0), Duration.ZERO, 100, NoDataPolicy.KEEP_STATE);
        state = ScopeState.INITIAL;
        assertThat(window(strict, 1.0, 99)).isEmpty();
    }

    @Test
    void noDataKeepStateLeavesAFiringAlertFiring() {
        RuleDefinition rule = rule(null, critical(0.05, 0), Duration.ZERO, 100, NoDataPolicy.KEEP_STATE);

        window(rule, 0.5, 1000);
        assertThat(window(rule, null, 0)).isEmpty();
        assertThat(state.critical().phase()).isEqualTo(Phase.FIRING);
    }

    @Test
    void noDataResolvePolicyResolvesAfterKeepFiringFor() {
        RuleDefinition rule = rule(null, critical(0.05, 0), Duration.ofMinutes(2), 100, NoDataPolicy.RESOLVE);

        window(rule, 0.5, 1000);
        assertThat(window(rule, null, 0)).isEmpty();
        assertThat(window(rule, null, 0)).singleElement().satisfies(t -> {
            assertThat(t.status()).isEqualTo(AlertStatus.RESOLVED);
            assertThat(t.reason()).isEqualTo("no data");
        });
    }

    @Test
    void noDataAlertPolicyFiresTheLowestLevel() {
        RuleDefinition rule = rule(warning(0.01, 2), critical(0.05, 0), Duration.ZERO, 100, NoDataPolicy.ALERT);

        assertThat(window(rule, null, 0)).isEmpty();
        assertThat(window(rule, 0.02, 3)).singleElement().satisfies(t -> {
            assertThat(t.status()).isEqualTo(AlertStatus.FIRING);
            assertThat(t.severity()).isEqualTo(Severity.WARNING);
        });
        assertThat(state.critical().phase()).isEqualTo(Phase.INACTIVE);
    }

    @Test
    void silenceAppliesTheNoDataPolicyWithoutMovingTheLastWindow() {
        RuleDefinition rule = rule(null, critical(0.05, 0), Duration.ofMinutes(5), 100, NoDataPolicy.RESOLVE);
        window(rule, 0.5, 1000);
        Instant lastEnd = state.lastWindowEnd();

        AlertStateMachine.Step early = machine.silence(rule, state, lastEnd.plus(Duration.ofMinutes(4)));
        assertThat(early.transitions()).isEmpty();
        AlertStateMachine.Step late = machine.silence(rule, early.state(), lastEnd.plus(Duration.ofMinutes(5)));
        assertThat(late.transitions())
                .singleElement()
                .extracting(Transition::status)
                .isEqualTo(AlertStatus.RESOLVED);
        assertThat(late.state().lastWindowEnd()).isEqualTo(lastEnd);

        RuleDefinition keep = rule(null, critical(0.05, 0), Duration.ZERO, 100, NoDataPolicy.KEEP_STATE);
        assertThat(machine.silence(keep, state, lastEnd.plus(Duration.ofDays(1)))
                        .transitions())
                .isEmpty();
    }

    @Test
    void aNoDataAlertFiredByTheSweepNeverResolvesBeforeItStarted() {
        RuleDefinition rule = rule(null, critical(0.05, 0), Duration.ZERO, 100, NoDataPolicy.ALERT);
        window(rule, 0.0, 1000);
        Instant lastEnd = state.lastWindowEnd();

        // The sweep fires at the extrapolated end of the silence; the windows of that silence then arrive late.
        AlertStateMachine.Step swept = machine.silence(rule, state, lastEnd.plus(Duration.ofMinutes(11)));
        Transition fired = swept.transitions().get(0);
        assertThat(fired.status()).isEqualTo(AlertStatus.FIRING);
        assertThat(fired.startsAt()).isEqualTo(lastEnd.plus(Duration.ofMinutes(11)));
        state = swept.state();
        for (int i = 0; i < 12; i++) {
            window(rule, 0.0, 1000);
        }

        assertThat(emitted)
                .filteredOn(t -> t.status() == AlertStatus.RESOLVED)
                .singleElement()
                .satisfies(t -> {
                    assertThat(t.startsAt()).isEqualTo(fired.startsAt());
                    assertThat(t.endsAt()).isAfterOrEqualTo(t.startsAt());
                });
    }

    @Test
    void anAlertFiringAgainNeverStartsBeforeThePreviousOneEnded() {
        RuleDefinition rule = rule(null, critical(0.05, 0), Duration.ZERO, 100, NoDataPolicy.RESOLVE);
        window(rule, 0.5, 1000);
        Instant lastEnd = state.lastWindowEnd();

        // The sweep resolves at the extrapolated end of the silence; a late window of that silence breaches.
        AlertStateMachine.Step swept = machine.silence(rule, state, lastEnd.plus(Duration.ofMinutes(11)));
        Transition resolved = swept.transitions().get(0);
        assertThat(resolved.status()).isEqualTo(AlertStatus.RESOLVED);
        state = swept.state();

        assertThat(window(rule, 0.5, 1000)).singleElement().satisfies(t -> {
            assertThat(t.status()).isEqualTo(AlertStatus.FIRING);
            assertThat(t.startsAt()).isAfterOrEqualTo(resolved.endsAt());
        });
    }

    @Test
    void forCountsOnlyABreachThatHoldsNotTheTimeWithoutData() {
        RuleDefinition rule = rule(null, critical(0.1, 5), Duration.ZERO, 20, NoDataPolicy.KEEP_STATE);

        assertThat(window(rule, 0.5, 25)).isEmpty();
        minute = 60; // an hour without windows
        assertThat(window(rule, 0.5, 25))
                .as("two breaching windows an hour apart")
                .isEmpty();
        assertThat(state.critical().phase()).isEqualTo(Phase.PENDING);
        assertThat(state.critical().firstBreachAt()).isEqualTo(T0.plus(Duration.ofMinutes(60)));

        // Windows without data (below the minimum) for longer than `for` interrupt the breach too.
        for (int i = 0; i < 6; i++) {
            assertThat(window(rule, 0.0, 5)).isEmpty();
        }
        assertThat(window(rule, 0.5, 25)).isEmpty();
        assertThat(state.critical().firstBreachAt()).isEqualTo(T0.plus(Duration.ofMinutes(67)));

        // A missing window or two within `for` is tolerated: the breach fires once it has lasted `for`.
        minute += 2;
        assertThat(window(rule, 0.5, 25)).isEmpty();
        assertThat(window(rule, 0.5, 25)).singleElement().satisfies(t -> {
            assertThat(t.status()).isEqualTo(AlertStatus.FIRING);
            assertThat(t.level().firstBreachAt()).isEqualTo(T0.plus(Duration.ofMinutes(67)));
        });
    }

    @Test
    void lateOrRepeatedWindowsAreIgnored() {
        RuleDefinition rule = rule(null, critical(0.05, 0), Duration.ZERO, 100, NoDataPolicy.KEEP_STATE);
        Observation breach = Observation.of(T0, T0.plus(MINUTE), 0.5, 1000);

        AlertStateMachine.Step first = machine.observe(rule, ScopeState.INITIAL, breach);
        AlertStateMachine.Step again = machine.observe(rule, first.state(), breach);
        AlertStateMachine.Step late =
                machine.observe(rule, first.state(), Observation.of(T0.minus(MINUTE), T0, 0.0, 1000));

        assertThat(first.transitions()).hasSize(1);
        assertThat(again.transitions()).isEmpty();
        assertThat(late.transitions()).isEmpty();
        assertThat(late.state()).isEqualTo(first.state());
    }

    @Test
    void flappingMetricPagesAtMostMaxFiringsPerWindow() {
        RuleDefinition rule = rule(null, critical(0.05, 0), Duration.ZERO, 100, NoDataPolicy.KEEP_STATE);

        for (int i = 0; i < 30; i++) {
            window(rule, i % 2 == 0 ? 0.5 : 0.01, 1000);
        }

        assertThat(emitted).filteredOn(t -> t.status() == AlertStatus.FIRING).hasSize(3);
        assertThat(state.critical().phase()).isEqualTo(Phase.FIRING);

        // After a whole flap window of health the alert resolves, and a later breach pages again.
        List<Transition> recovery = windows(rule, 60, 0.01);
        assertThat(recovery).singleElement().extracting(Transition::status).isEqualTo(AlertStatus.RESOLVED);
        assertThat(window(rule, 0.5, 1000))
                .singleElement()
                .extracting(Transition::status)
                .isEqualTo(AlertStatus.FIRING);
    }

    @Test
    void warningEscalatesToCriticalAndPagesOnceAtTheWorstSeverity() {
        RuleDefinition rule = rule(warning(0.01, 0), critical(0.05, 2), Duration.ZERO, 100, NoDataPolicy.KEEP_STATE);

        assertThat(window(rule, 0.02, 1000)).singleElement().satisfies(t -> {
            assertThat(t.severity()).isEqualTo(Severity.WARNING);
            assertThat(t.status()).isEqualTo(AlertStatus.FIRING);
        });
        assertThat(window(rule, 0.08, 1000)).isEmpty(); // critical pending
        List<Transition> escalation = window(rule, 0.08, 1000);

        assertThat(escalation)
                .extracting(Transition::severity, Transition::status)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(Severity.CRITICAL, AlertStatus.FIRING),
                        org.assertj.core.groups.Tuple.tuple(Severity.WARNING, AlertStatus.RESOLVED));
        assertThat(escalation.get(1).reason()).isEqualTo("escalated to CRITICAL");
        assertThat(windows(rule, 5, 0.08)).isEmpty();
    }

    @Test
    void criticalResolvingWhileTheWarningConditionHoldsDeEscalates() {
        RuleDefinition rule = rule(warning(0.01, 0), critical(0.05, 0), Duration.ZERO, 100, NoDataPolicy.KEEP_STATE);

        assertThat(window(rule, 0.08, 1000))
                .singleElement()
                .extracting(Transition::severity)
                .isEqualTo(Severity.CRITICAL);
        List<Transition> down = window(rule, 0.02, 1000);
        assertThat(down)
                .extracting(Transition::severity, Transition::status)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(Severity.CRITICAL, AlertStatus.RESOLVED),
                        org.assertj.core.groups.Tuple.tuple(Severity.WARNING, AlertStatus.FIRING));
        assertThat(down.get(1).startsAt()).isEqualTo(T0.plus(MINUTE.multipliedBy(2)));
        assertThat(down.get(1).level().firstBreachAt()).isEqualTo(T0);

        assertThat(window(rule, 0.0, 1000))
                .singleElement()
                .extracting(Transition::severity, Transition::status)
                .containsExactly(Severity.WARNING, AlertStatus.RESOLVED);
    }

    @Test
    void lowerIsWorseComparatorsBreachBelowTheThreshold() {
        RuleDefinition rule = new RuleDefinition(
                "sync",
                "Sync success rate",
                "syncSuccessRate",
                RuleComparator.LT,
                warning(0.95, 0),
                critical(0.90, 0),
                Duration.ZERO,
                10,
                NoDataPolicy.KEEP_STATE,
                new ScopeSelector(null, null, null, null, null, null),
                0.99,
                true,
                null,
                null,
                1,
                null);

        assertThat(window(rule, 0.97, 100)).isEmpty();
        assertThat(window(rule, 0.85, 100))
                .singleElement()
                .extracting(Transition::severity)
                .isEqualTo(Severity.CRITICAL);
    }

    @Test
    void fingerprintsAreStableAndDistinguishSeverityAndScope() {
        String fp = Fingerprints.of("r", "global", Severity.CRITICAL);

        assertThat(fp).hasSize(32).isEqualTo(Fingerprints.of("r", "global", Severity.CRITICAL));
        assertThat(fp).isNotEqualTo(Fingerprints.of("r", "global", Severity.WARNING));
        assertThat(fp).isNotEqualTo(Fingerprints.of("r", "table:entries", Severity.CRITICAL));
        assertThat(Fingerprints.alertId(fp, AlertStatus.FIRING, T0))
                .isEqualTo(Fingerprints.alertId(fp, AlertStatus.FIRING, T0))
                .isNotEqualTo(Fingerprints.alertId(fp, AlertStatus.RESOLVED, T0));
    }
}
