package dev.rollguard.alert.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.alert.support.Windows;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.Exemplar;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class StageExemplarsTest {

    static final Instant T0 = Instant.parse("2026-02-03T10:00:00Z");

    @Test
    void keepsTheEarliestTreatmentExemplarsOfTheCurrentStage() {
        StageExemplars stages = new StageExemplars();
        stages.add(window(Cohort.TREATMENT, 3, 1, "a1", "a2"));
        stages.add(window(Cohort.TREATMENT, 3, 0, "b1", "b2", "b3", "b4"));
        stages.add(window(Cohort.CONTROL, 3, 0, "c1"));
        stages.add(window(Cohort.TREATMENT, 2, 0, "old"));

        assertThat(stages.of("f")).extracting(Exemplar::getEventId).containsExactly("b1", "b2", "b3", "b4", "a1");

        stages.add(window(Cohort.TREATMENT, 4, 5, "n1"));

        assertThat(stages.of("f")).extracting(Exemplar::getEventId).containsExactly("n1");
        assertThat(stages.of("other")).isEmpty();
    }

    /** A treatment or control window of flag f in stage {@code stage}, minute {@code minute}, with exemplars. */
    private static WindowMetricsEvent window(Cohort cohort, long stage, int minute, String... eventIds) {
        WindowMetricsEvent w = Windows.cohort("f", cohort, T0, minute, 100, 10);
        w.getClientMoments().get(0).setStageVersion(stage);
        List<Exemplar> exemplars = new java.util.ArrayList<>();
        for (int i = 0; i < eventIds.length; i++) {
            exemplars.add(Exemplar.newBuilder()
                    .setEventId(eventIds[i])
                    .setEventTime(T0.plusSeconds(60L * minute + i))
                    .setRequestId("req-" + eventIds[i])
                    .build());
        }
        w.setExemplars(exemplars);
        return w;
    }
}
