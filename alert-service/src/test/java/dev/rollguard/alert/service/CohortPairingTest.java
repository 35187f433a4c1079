package dev.rollguard.alert.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.alert.service.CohortPairing.HalfKey;
import dev.rollguard.alert.support.Windows;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class CohortPairingTest {

    private static final Instant ORIGIN = Instant.parse("2026-03-01T10:00:00Z");

    private final CohortPairing pairing = new CohortPairing();

    private static WindowMetricsEvent control(int minute) {
        return Windows.cohort("colours", Cohort.CONTROL, ORIGIN, minute, 1000, 20);
    }

    private static WindowMetricsEvent treatment(int minute) {
        return Windows.cohort("colours", Cohort.TREATMENT, ORIGIN, minute, 1000, 20);
    }

    private static WindowMetricsEvent variant(String variant, int minute) {
        WindowMetricsEvent w = treatment(minute);
        w.setScopeKey("flag:colours:treatment:" + variant);
        w.setVariant(variant);
        return w;
    }

    @Test
    void aPlainTreatmentAndItsControlPairOnceAndNeitherWaitsAfterwards() {
        WindowMetricsEvent control = control(0);
        WindowMetricsEvent treatment = treatment(0);

        CohortPairing.Added first = pairing.add(control);
        assertThat(first.pairs()).isEmpty();
        assertThat(first.waits()).isTrue();

        CohortPairing.Added second = pairing.add(treatment);
        assertThat(second.pairs()).containsExactly(new CohortPairing.Pair(treatment, control));
        assertThat(second.waits()).isFalse();
        assertThat(second.released()).containsExactly(HalfKey.of(control));
        assertThat(pairing.size()).isZero();

        // A treatment of the next interval does not meet this interval's control.
        assertThat(pairing.add(treatment(1)).pairs()).isEmpty();
    }

    @Test
    void eachVariantPairsWithTheControlOfItsIntervalWhicheverArrivesFirst() {
        WindowMetricsEvent green = variant("green", 0);
        WindowMetricsEvent blue = variant("blue", 0);
        WindowMetricsEvent control = control(0);

        assertThat(pairing.add(green).waits()).isTrue();
        assertThat(pairing.add(variant("green", 1)).waits()).isTrue();

        // The control meets the variant of its own interval, and waits for the variants still to come.
        CohortPairing.Added withControl = pairing.add(control);
        assertThat(withControl.pairs()).containsExactly(new CohortPairing.Pair(green, control));
        assertThat(withControl.released()).containsExactly(HalfKey.of(green));
        assertThat(withControl.waits()).isTrue();

        CohortPairing.Added withBlue = pairing.add(blue);
        assertThat(withBlue.pairs()).containsExactly(new CohortPairing.Pair(blue, control));
        assertThat(withBlue.waits()).isFalse();
        assertThat(withBlue.released()).isEmpty();

        // Still one window of each interval waiting: the control of minute 0 and green of minute 1.
        assertThat(pairing.size()).isEqualTo(2);
    }

    @Test
    void aControlArrivingLastMeetsEveryWaitingVariantByName() {
        WindowMetricsEvent red = variant("red", 0);
        WindowMetricsEvent blue = variant("blue", 0);
        pairing.add(red);
        pairing.add(blue);
        WindowMetricsEvent control = control(0);

        CohortPairing.Added added = pairing.add(control);

        assertThat(added.pairs())
                .containsExactly(new CohortPairing.Pair(blue, control), new CohortPairing.Pair(red, control));
        assertThat(added.released()).containsExactlyInAnyOrder(HalfKey.of(red), HalfKey.of(blue));
        assertThat(HalfKey.of(red)).isNotEqualTo(HalfKey.of(blue));
    }

    @Test
    void aRestoredWindowPairsAsIfItHadNeverLeftAndPruningForgetsOnlyOldWindowsOfTheChosenFlags() {
        pairing.restore(variant("green", 0));
        WindowMetricsEvent control = control(0);
        assertThat(pairing.add(control).pairs()).hasSize(1);

        pairing.add(variant("green", 5));
        long horizon = ORIGIN.plus(Windows.MINUTE.multipliedBy(3)).toEpochMilli();
        pairing.prune(horizon, flag -> false);
        assertThat(pairing.size()).isEqualTo(2);
        pairing.prune(horizon, "colours"::equals);
        assertThat(pairing.size()).isEqualTo(1);
        // The pruned control no longer pairs: a late variant of its interval waits.
        assertThat(pairing.add(variant("blue", 0)).pairs()).isEmpty();
    }

    @Test
    void aStoredRowNamesTheVariantAndLeavesItEmptyForTheControl() {
        assertThat(HalfKey.of(variant("green", 0)).row(null).variant()).isEqualTo("green");
        assertThat(HalfKey.of(control(0)).row(null).variant()).isEmpty();
        assertThat(HalfKey.of(treatment(0)).row(null).variant()).isEmpty();
    }
}
