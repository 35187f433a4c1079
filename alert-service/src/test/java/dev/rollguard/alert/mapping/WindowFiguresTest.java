package dev.rollguard.alert.mapping;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.alert.domain.Observation;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.ScopeType;
import dev.rollguard.schemas.event.WindowKind;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The figures rules can watch, read from the WindowMetricsEvent schema. */
class WindowFiguresTest {

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private static WindowMetricsEvent.Builder window() {
        return WindowMetricsEvent.newBuilder()
                .setScopeType(ScopeType.GLOBAL)
                .setScopeKey("global")
                .setWindowKind(WindowKind.TUMBLING)
                .setWindowStart(T0)
                .setWindowEnd(T0.plusSeconds(60))
                .setEmittedAt(T0.plusSeconds(65))
                .setEventCount(1000)
                .setSuccessCount(990)
                .setFailureCount(10);
    }

    @Test
    void everyNumericFigureIsAMetricButTimestampsAndTextAreNot() {
        assertThat(WindowFigures.metrics())
                .contains(
                        "errorRate",
                        "successRate",
                        "syncSuccessRate",
                        "uploadFailureRate",
                        "durationP95Ms",
                        "durationP99Ms",
                        "storageUsedPctMax",
                        "pendingMutationsMax",
                        "failedMutationsMax",
                        "quotaExceededCount",
                        "syncQueueLengthMax",
                        "eventCount")
                .doesNotContain(
                        "windowStart", "windowEnd", "emittedAt", "firstEventTime", "scopeKey", "durationSketch");
    }

    @Test
    void readsFiguresAndTheirSampleSizes() {
        WindowMetricsEvent w = window().setSyncCount(600)
                .setUploadCount(400)
                .setUploadFailureRate(0.25)
                .setPendingMutationsMax(700L)
                .build();

        assertThat(WindowFigures.value(w, "uploadFailureRate")).isEqualTo(0.25);
        assertThat(WindowFigures.value(w, "pendingMutationsMax")).isEqualTo(700.0);
        assertThat(WindowFigures.value(w, "durationP95Ms")).isNull();
        assertThat(WindowFigures.sampleSize(w, "uploadFailureRate")).isEqualTo(400);
        assertThat(WindowFigures.sampleSize(w, "syncSuccessRate")).isEqualTo(600);
        assertThat(WindowFigures.sampleSize(w, "durationP95Ms")).isEqualTo(1000);
    }

    @Test
    void comparesCohortsOnBadEventProportions() {
        WindowMetricsEvent treatment = window().setScopeType(ScopeType.FLAG_COHORT)
                .setFlagKey("f")
                .setCohort(Cohort.TREATMENT)
                .setFailureCount(100)
                .setErrorRate(0.1)
                .build();
        WindowMetricsEvent control = window().setScopeType(ScopeType.FLAG_COHORT)
                .setFlagKey("f")
                .setCohort(Cohort.CONTROL)
                .setFailureCount(20)
                .setErrorRate(0.02)
                .setEmittedAt(T0.plusSeconds(70))
                .build();

        Observation observation = WindowFigures.comparison(treatment, control, "errorRate");

        assertThat(observation.value()).isCloseTo(0.08, org.assertj.core.api.Assertions.within(1e-12));
        assertThat(observation.comparison().treatmentValue()).isEqualTo(0.1);
        assertThat(observation.comparison().controlValue()).isEqualTo(0.02);
        assertThat(observation.closedAt()).isEqualTo(T0.plusSeconds(70));
    }

    @Test
    void aCohortWithoutEventsIsNoData() {
        WindowMetricsEvent empty = window().setEventCount(0)
                .setSuccessCount(0)
                .setFailureCount(0)
                .setCohort(Cohort.TREATMENT)
                .build();

        assertThat(WindowFigures.comparison(empty, window().build(), "errorRate")
                        .value())
                .isNull();
    }
}
