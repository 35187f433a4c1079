package dev.rollguard.ingest.topology;

import static dev.rollguard.ingest.TelemetryFixtures.flag;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.ingest.service.FlagDirectory;
import dev.rollguard.schemas.event.ClientMoment;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.Constraint;
import dev.rollguard.schemas.event.ConstraintOperator;
import dev.rollguard.schemas.event.ScopeType;
import dev.rollguard.schemas.event.TargetingRule;
import dev.rollguard.schemas.event.WindowKind;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Whether a flag cohort window's stage compares populations, from every version in force in that stage. */
class PopulationComparisonTest {

    private static final Instant T = Instant.parse("2026-03-01T00:00:00Z");

    private final FlagDirectory directory = new FlagDirectory(8);

    private static TargetingRule ios(String variant, int basisPoints) {
        return TargetingRule.newBuilder()
                .setId("ios")
                .setConstraints(List.of(Constraint.newBuilder()
                        .setAttribute("platform")
                        .setOperator(ConstraintOperator.IN)
                        .setValues(List.of("IOS"))
                        .build()))
                .setVariant(variant)
                .setRolloutBasisPoints(basisPoints)
                .build();
    }

    /** A treatment window of {@code flag} ending at {@code end} whose moments are of {@code stages}. */
    private static WindowMetricsEvent window(String flag, Instant end, long... stages) {
        List<ClientMoment> moments = java.util.Arrays.stream(stages)
                .mapToObj(stage -> ClientMoment.newBuilder()
                        .setStageVersion(stage)
                        .setMetric("failure")
                        .setClients(1)
                        .setSumY(0)
                        .setSumX(1)
                        .setSumYY(0)
                        .setSumXX(1)
                        .setSumXY(0)
                        .build())
                .toList();
        return WindowMetricsEvent.newBuilder()
                .setScopeType(ScopeType.FLAG_COHORT)
                .setScopeKey("flag:" + flag + ":treatment")
                .setFlagKey(flag)
                .setCohort(Cohort.TREATMENT)
                .setWindowKind(WindowKind.TUMBLING)
                .setWindowStart(end.minusSeconds(60))
                .setWindowEnd(end)
                .setEmittedAt(end)
                .setEventCount(1)
                .setSuccessCount(1)
                .setFailureCount(0)
                .setClientMoments(moments)
                .build();
    }

    private Boolean stamped(WindowMetricsEvent window) {
        PopulationComparison.stamp(window, directory);
        return window.getComparesPopulations();
    }

    @Test
    void aRuleChangedToAFixedVariantInMidStageMakesTheRestOfTheStageAPopulationComparison() {
        // 0 % for everyone, iOS drawn at 20 %: a random draw. Then the iOS rule serves everyone on iOS the change:
        // the share, stage and allow-list are unchanged (the same stage), but nobody is drawn any more.
        directory.apply(flag("f", 1, T, 0).setRules(List.of(ios(null, 2_000))).build());
        directory.apply(flag("f", 2, T.plusSeconds(600), 0)
                .setRules(List.of(ios("on", 0)))
                .build());

        assertThat(stamped(window("f", T.plusSeconds(300), 1))).isFalse();
        assertThat(stamped(window("f", T.plusSeconds(900), 1))).isTrue();
    }

    @Test
    void theNewestStageOfTheWindowIsTheOneTold() {
        FlagDirectory d = directory;
        d.apply(flag("f", 1, T, 0).setAllowList(List.of("staff")).build());
        d.apply(flag("f", 2, T.plusSeconds(600), 1_000)
                .setAllowList(List.of("staff"))
                .build());

        // Moments of the internal stage (1) and of the 10 % stage (2) in one window: the guard judges stage 2.
        assertThat(stamped(window("f", T.plusSeconds(660), 1, 2))).isFalse();
        assertThat(stamped(window("f", T.plusSeconds(300), 1))).isTrue();
    }

    @Test
    void aStageWhoseBeginningVersionIsNotHeldIsNotKnown() {
        directory.apply(flag("f", 7, T, 1_000).build());

        assertThat(stamped(window("f", T.plusSeconds(60), 3))).isNull();
        assertThat(stamped(window("f", T.plusSeconds(60), 7))).isFalse();
    }

    @Test
    void windowsOfOtherScopesOrWithoutMomentsAreNotStamped() {
        directory.apply(flag("f", 1, T, 1_000).build());
        WindowMetricsEvent silent = window("f", T.plusSeconds(60));
        WindowMetricsEvent table = window("f", T.plusSeconds(60), 1);
        table.setScopeType(ScopeType.TABLE);

        assertThat(stamped(silent)).isNull();
        assertThat(stamped(table)).isNull();
    }
}
