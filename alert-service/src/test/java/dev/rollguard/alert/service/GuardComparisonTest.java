package dev.rollguard.alert.service;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.alert.domain.RuleDefinition;
import dev.rollguard.alert.domain.judgment.FlagStatus;
import dev.rollguard.alert.domain.judgment.FlagVerdict;
import dev.rollguard.alert.repository.EvaluationWrite.GuardStageRow;
import dev.rollguard.alert.support.Windows;
import dev.rollguard.schemas.event.ClientMoment;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A stage that draws nobody by the flag's bucket (the internal stage) compares populations, everyone served the
 * treatment against everyone else; its windows say so ({@code comparesPopulations}) and the verdict says it to people.
 */
class GuardComparisonTest {

    private static final Instant ORIGIN = Instant.parse("2026-03-01T10:00:00Z");
    private static final String FLAG = "internal-first";

    private static final RuleDefinition GUARD = GuardEvaluatorVariantsTest.GUARD;

    private final GuardEvaluator guard = new GuardEvaluator(new ObjectMapper());
    private final Set<String> dirty = new HashSet<>();

    /** A cohort window of stage {@code stage} whose producer told {@code comparesPopulations}. */
    private static WindowMetricsEvent window(
            Cohort cohort, int minute, long failures, long stage, Boolean comparesPopulations) {
        WindowMetricsEvent w = Windows.cohort(FLAG, cohort, ORIGIN, minute, 2000, failures);
        w.setClientMoments(w.getClientMoments().stream()
                .map(m -> ClientMoment.newBuilder(m).setStageVersion(stage).build())
                .toList());
        w.setComparesPopulations(comparesPopulations);
        return w;
    }

    private FlagVerdict judgeMinute(int minute, long stage, Boolean comparesPopulations) {
        guard.add(window(Cohort.TREATMENT, minute, 800, stage, comparesPopulations), dirty);
        GuardEvaluator.Ready ready = guard.add(window(Cohort.CONTROL, minute, 40, stage, comparesPopulations), dirty);
        return guard.judge(
                ready.stage(),
                GUARD,
                ORIGIN.plus(Windows.MINUTE.multipliedBy(minute + 1)).toEpochMilli());
    }

    @Test
    void aStageThatDrawsNobodyIsSaidToComparePopulations() throws Exception {
        FlagVerdict verdict = judgeMinute(0, 1, true);

        assertThat(verdict.status()).isEqualTo(FlagStatus.REGRESSION);
        assertThat(verdict.populations()).isTrue();
        assertThat(verdict.summary()).startsWith("REGRESSION (CRITICAL): ").endsWith(FlagVerdict.POPULATIONS_NOTE);
        GuardView view = GuardView.of(guard.latest().get(FLAG));
        assertThat(view.cohorts()).isEqualTo(GuardView.POPULATIONS);
        assertThat(view.summary()).contains("populations compared, not a random draw");

        // Another replica reads the stored view; a restart reads the stored evidence and keeps knowing.
        String stored = guard.rows(Set.of(FLAG)).get(0).verdict();
        assertThat(new ObjectMapper()
                        .findAndRegisterModules()
                        .readValue(stored, GuardView.class)
                        .cohorts())
                .isEqualTo(GuardView.POPULATIONS);
        GuardEvaluator restarted = new GuardEvaluator(new ObjectMapper());
        restarted.load(guard.rows(Set.of(FLAG)));
        restarted.add(window(Cohort.TREATMENT, 1, 800, 1, null), new HashSet<>());
        GuardEvaluator.Ready ready = restarted.add(window(Cohort.CONTROL, 1, 40, 1, null), new HashSet<>());
        assertThat(restarted
                        .judge(
                                ready.stage(),
                                GUARD,
                                ORIGIN.plus(Windows.MINUTE.multipliedBy(2)).toEpochMilli())
                        .populations())
                .isTrue();
    }

    @Test
    void evidenceStoredBeforeTheStageHeldItsCohortsLoadsWithWhatItsWindowsTold() {
        // Rows as the release before stored them, which kept what the windows told beside the evidence.
        String told = "{\"ends\":[60000,60000],\"treatment\":{\"failure\":[3,4.0,25.0,10.0,225.0,40.0]},"
                + "\"control\":{\"failure\":[3,1.0,25.0,1.0,225.0,10.0]},\"populations\":true}";
        String untold = told.replace(",\"populations\":true", "");
        for (String evidence : List.of(told, untold)) {
            GuardEvaluator restarted = new GuardEvaluator(new ObjectMapper());
            restarted.load(List.of(new GuardStageRow(FLAG, 1, evidence, null)));

            // Stored again as it was read, and judged as the windows told.
            assertThat(restarted.rows(Set.of(FLAG)).get(0).evidence()).isEqualTo(evidence);
            restarted.add(window(Cohort.TREATMENT, 1, 800, 1, null), new HashSet<>());
            GuardEvaluator.Ready ready = restarted.add(window(Cohort.CONTROL, 1, 40, 1, null), new HashSet<>());
            FlagVerdict verdict = restarted.judge(
                    ready.stage(),
                    GUARD,
                    ORIGIN.plus(Windows.MINUTE.multipliedBy(2)).toEpochMilli());
            assertThat(verdict.populations()).isEqualTo(evidence.equals(told) ? Boolean.TRUE : null);
            assertThat(GuardView.of(restarted.latest().get(FLAG)).cohorts())
                    .isEqualTo(evidence.equals(told) ? GuardView.POPULATIONS : null);
        }
    }

    @Test
    void aStageOfRandomDrawsIsSaidToBeDrawnAndItsSummaryIsUnchanged() {
        FlagVerdict verdict = judgeMinute(0, 1, false);

        assertThat(verdict.populations()).isFalse();
        assertThat(verdict.summary()).doesNotContain("populations");
        assertThat(GuardView.of(guard.latest().get(FLAG)).cohorts()).isEqualTo(GuardView.DRAWN);
    }

    @Test
    void windowsThatDoNotTellLeaveItUnknown() {
        FlagVerdict verdict = judgeMinute(0, 1, null);

        assertThat(verdict.populations()).isNull();
        assertThat(GuardView.of(guard.latest().get(FLAG)).cohorts()).isNull();
    }

    @Test
    void theNextStageIsJudgedOnWhatItsOwnWindowsTell() {
        // The internal stage (version 1) compared populations; the 10 % stage (version 2) draws.
        assertThat(judgeMinute(0, 1, true).populations()).isTrue();

        FlagVerdict next = judgeMinute(1, 2, false);

        assertThat(next.populations()).isFalse();
        assertThat(next.summary()).doesNotContain("populations");
    }

    @Test
    void aStageThatComparedPopulationsForAWhileStaysSaidToHave() {
        assertThat(judgeMinute(0, 1, true).populations()).isTrue();

        // A rule changed in mid-stage now draws: the evidence still holds the minutes that compared populations.
        assertThat(judgeMinute(1, 1, false).populations()).isTrue();
        assertThat(judgeMinute(2, 1, null).populations()).isTrue();
    }
}
