package dev.rollguard.alert.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.alert.domain.Level;
import dev.rollguard.alert.domain.NoDataPolicy;
import dev.rollguard.alert.domain.RuleComparator;
import dev.rollguard.alert.domain.RuleDefinition;
import dev.rollguard.alert.domain.ScopeSelector;
import dev.rollguard.alert.domain.judgment.FlagStatus;
import dev.rollguard.alert.domain.judgment.FlagVerdict;
import dev.rollguard.alert.domain.judgment.GuardPack;
import dev.rollguard.alert.repository.EvaluationWrite.GuardStageRow;
import dev.rollguard.alert.support.Windows;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.ScopeType;
import dev.rollguard.schemas.event.Severity;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The guard judges each treated variant of a weighted flag against the control on its own. */
class GuardEvaluatorVariantsTest {

    private static final Instant ORIGIN = Instant.parse("2026-03-01T10:00:00Z");
    private static final String FLAG = "checkout-colours";

    /** The guard rule of these tests: a relative tolerance of 0.2, confidence 0.99. */
    static final RuleDefinition GUARD = new RuleDefinition(
            "guard",
            "Treatment worse than control (guard)",
            "guard",
            RuleComparator.GUARD,
            new Level(Severity.WARNING, 0.2, Duration.ZERO),
            new Level(Severity.CRITICAL, 0.2, Duration.ZERO),
            Duration.ofMinutes(5),
            0,
            NoDataPolicy.KEEP_STATE,
            new ScopeSelector(Set.of(ScopeType.FLAG_COHORT), null, Cohort.TREATMENT, null, null, null),
            0.99,
            true,
            Map.of(),
            Map.of(),
            1,
            null);

    private final GuardEvaluator guard = new GuardEvaluator(new ObjectMapper());
    private final Set<String> dirty = new HashSet<>();

    /** A treated variant's window: the treatment scope of the flag with the variant's name. */
    private static WindowMetricsEvent variant(String variant, int minute, long events, long failures) {
        WindowMetricsEvent w = Windows.cohort(FLAG, Cohort.TREATMENT, ORIGIN, minute, events, failures);
        w.setScopeKey("flag:" + FLAG + ":treatment:" + variant);
        w.setVariant(variant);
        return w;
    }

    private static WindowMetricsEvent control(int minute, long events, long failures) {
        return Windows.cohort(FLAG, Cohort.CONTROL, ORIGIN, minute, events, failures);
    }

    @Test
    void eachVariantIsReadyOnceItAndTheControlHaveComeAsFar() {
        assertThat(guard.add(variant("blue", 0, 2000, 40), dirty)).isNull();
        GuardEvaluator.Ready afterControl = guard.add(control(0, 2000, 40), dirty);
        assertThat(afterControl).isNotNull();
        assertThat(afterControl.plain()).isFalse();
        assertThat(afterControl.variants()).containsExactly("blue");

        GuardEvaluator.Ready green = guard.add(variant("green", 0, 2000, 40), dirty);
        assertThat(green).isNotNull();
        assertThat(green.plain()).isFalse();
        assertThat(green.variants()).containsExactly("green");
    }

    @Test
    void oneRegressedVariantIsNamedAndMakesTheFlagRegressedWhileTheOtherIsNot() {
        guard.add(control(0, 2000, 40), dirty);
        GuardEvaluator.Ready blue = guard.add(variant("blue", 0, 2000, 40), dirty);
        GuardEvaluator.Ready green = guard.add(variant("green", 0, 2000, 800), dirty);
        long end = ORIGIN.plus(Windows.MINUTE).toEpochMilli();

        FlagVerdict blueVerdict = guard.judge(blue.stage(), "blue", GUARD, end);
        FlagVerdict greenVerdict = guard.judge(green.stage(), "green", GUARD, end);

        assertThat(blueVerdict.status()).isNotEqualTo(FlagStatus.REGRESSION);
        assertThat(greenVerdict.status()).isEqualTo(FlagStatus.REGRESSION);
        assertThat(greenVerdict.regressions().get(0).spec().name()).isEqualTo("failure");
        GuardEvaluator.FlagGuard flag = guard.latest().get(FLAG);
        assertThat(flag.verdict().status()).isEqualTo(FlagStatus.REGRESSION);
        assertThat(flag.variant()).isEqualTo("green");
        assertThat(flag.variants()).containsOnlyKeys("blue", "green");
        assertThat(flag.variants().get("blue").verdict().status()).isNotEqualTo(FlagStatus.REGRESSION);
        assertThat(GuardEvaluator.treatmentScopeKey(FLAG, "green")).isEqualTo("flag:" + FLAG + ":treatment:green");
    }

    @Test
    void eachVariantGetsItsShareOfTheFlagsAlphaSoTheFlagKeepsItsFalseAlarmRate() {
        guard.add(control(0, 2000, 40), dirty);
        GuardEvaluator.Ready blue = guard.add(variant("blue", 0, 2000, 40), dirty);
        guard.add(variant("green", 0, 2000, 40), dirty);
        GuardEvaluator.Ready red = guard.add(variant("red", 0, 2000, 40), dirty);
        long end = ORIGIN.plus(Windows.MINUTE).toEpochMilli();
        String plainFlag = "plain-alpha";
        guard.add(Windows.cohort(plainFlag, Cohort.TREATMENT, ORIGIN, 0, 2000, 40), dirty);
        GuardEvaluator.Ready plain = guard.add(Windows.cohort(plainFlag, Cohort.CONTROL, ORIGIN, 0, 2000, 40), dirty);

        FlagVerdict one = guard.judge(plain.stage(), GUARD, end);
        FlagVerdict ofThree = guard.judge(blue.stage(), "blue", GUARD, end);
        guard.judge(red.stage(), "red", GUARD, end);

        // A critical regression of any of the three kills the flag: each is tested at a third of its alpha.
        double metrics = GuardPack.DEFAULT.size();
        assertThat(one.metrics().get(0).evidenceThreshold()).isCloseTo(Math.log(metrics / 0.01), within(1e-9));
        assertThat(ofThree.metrics().get(0).evidenceThreshold()).isCloseTo(Math.log(3 * metrics / 0.01), within(1e-9));
    }

    @Test
    void aVariantNotJudgedYetKeepsTheFlagFromLookingHealthy() {
        guard.add(control(0, 2000, 40), dirty);
        GuardEvaluator.Ready blue = guard.add(variant("blue", 0, 2000, 40), dirty);
        // Green's window of this interval is in the evidence, but no verdict on it has been given yet.
        guard.add(variant("green", 1, 2000, 40), dirty);

        guard.judge(blue.stage(), "blue", GUARD, ORIGIN.plus(Windows.MINUTE).toEpochMilli());

        GuardEvaluator.FlagGuard flag = guard.latest().get(FLAG);
        assertThat(flag.verdict().status()).isEqualTo(FlagStatus.INSUFFICIENT_DATA);
        assertThat(flag.variant()).isEqualTo("green");
    }

    @Test
    void aPlainFlagIsJudgedOnItsTreatmentAsBefore() {
        String plain = "plain-flag";
        assertThat(guard.add(Windows.cohort(plain, Cohort.TREATMENT, ORIGIN, 0, 2000, 800), dirty))
                .isNull();
        GuardEvaluator.Ready ready = guard.add(Windows.cohort(plain, Cohort.CONTROL, ORIGIN, 0, 2000, 40), dirty);
        assertThat(ready.plain()).isTrue();
        assertThat(ready.variants()).isEmpty();

        FlagVerdict verdict =
                guard.judge(ready.stage(), GUARD, ORIGIN.plus(Windows.MINUTE).toEpochMilli());

        assertThat(verdict.status()).isEqualTo(FlagStatus.REGRESSION);
        assertThat(guard.latest().get(plain).variant()).isNull();
        assertThat(GuardEvaluator.treatmentScopeKey(plain, null)).isEqualTo("flag:plain-flag:treatment");
    }

    @Test
    void theVariantsEvidenceSurvivesARestart() {
        guard.add(control(0, 2000, 40), dirty);
        guard.add(variant("blue", 0, 2000, 40), dirty);
        guard.add(variant("green", 0, 2000, 800), dirty);
        List<GuardStageRow> rows = guard.rows(Set.of(FLAG));

        GuardEvaluator restarted = new GuardEvaluator(new ObjectMapper());
        restarted.load(rows);
        Set<String> touched = new HashSet<>();
        restarted.add(variant("blue", 1, 2000, 40), touched);
        restarted.add(variant("green", 1, 2000, 800), touched);
        GuardEvaluator.Ready ready = restarted.add(control(1, 2000, 40), touched);

        assertThat(ready.variants()).containsExactly("blue", "green");
        FlagVerdict green = restarted.judge(
                ready.stage(),
                "green",
                GUARD,
                ORIGIN.plus(Windows.MINUTE.multipliedBy(2)).toEpochMilli());
        assertThat(green.status()).isEqualTo(FlagStatus.REGRESSION);
        // Both windows' clients: the first window's came back from the stored evidence.
        assertThat(green.metrics().stream()
                        .filter(m -> m.spec().name().equals("failure"))
                        .findFirst()
                        .orElseThrow()
                        .treatedClients())
                .isEqualTo(400);
    }

    @Test
    void theStoredVerdictIsTheWholeViewSoAnotherReplicaAnswersWithIt() throws Exception {
        guard.add(control(0, 2000, 40), dirty);
        GuardEvaluator.Ready blue = guard.add(variant("blue", 0, 2000, 40), dirty);
        GuardEvaluator.Ready green = guard.add(variant("green", 0, 2000, 800), dirty);
        long end = ORIGIN.plus(Windows.MINUTE).toEpochMilli();
        guard.judge(blue.stage(), "blue", GUARD, end);
        guard.judge(green.stage(), "green", GUARD, end);
        GuardView judged = GuardView.of(guard.latest().get(FLAG));

        String stored = guard.rows(Set.of(FLAG)).get(0).verdict();
        // Read as the guard API of a replica that does not own the flag's partition reads it.
        GuardView read = new ObjectMapper().findAndRegisterModules().readValue(stored, GuardView.class);

        assertThat(read).isEqualTo(judged);
        assertThat(read.stageVersion()).isEqualTo(judged.stageVersion()).isNotNull();
        assertThat(read.status()).isEqualTo("REGRESSION");
        assertThat(read.variant()).isEqualTo("green");
        assertThat(read.metrics()).isNotEmpty();
        assertThat(read.variants()).extracting(GuardView::variant).containsExactly("blue", "green");
    }
}
