package dev.rollguard.ingest.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.ScopeType;
import dev.rollguard.schemas.event.WindowKind;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class CohortGaugesTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final CohortGauges gauges = new CohortGauges(registry);

    @Test
    void theLatestWindowOfEachCohortIsAGaugeTaggedByFlagAndCohort() {
        gauges.record(window(
                ScopeType.FLAG_COHORT, WindowKind.TUMBLING, "offline-recording", Cohort.TREATMENT, 100, 20, 900.0));
        gauges.record(
                window(ScopeType.FLAG_COHORT, WindowKind.TUMBLING, "offline-recording", Cohort.CONTROL, 900, 9, null));
        gauges.record(window(
                ScopeType.FLAG_COHORT, WindowKind.TUMBLING, "offline-recording", Cohort.TREATMENT, 50, 25, 1200.0));

        assertThat(value("rollguard.cohort.error.rate", "treatment")).isEqualTo(0.5);
        assertThat(value("rollguard.cohort.success.rate", "treatment")).isEqualTo(0.5);
        assertThat(value("rollguard.cohort.events", "treatment")).isEqualTo(50);
        assertThat(value("rollguard.cohort.duration.p95", "treatment")).isEqualTo(1.2);
        assertThat(value("rollguard.cohort.error.rate", "control")).isEqualTo(0.01);
        assertThat(value("rollguard.cohort.duration.p95", "control")).isNaN();
        assertThat(registry.get("rollguard.cohort.duration.p95").gauge().getId().getBaseUnit())
                .isEqualTo("seconds");
    }

    @Test
    void aCohortWhoseWindowsStoppedIsRemovedTwoWindowsLater() {
        gauges.record(
                at(0, window(ScopeType.FLAG_COHORT, WindowKind.TUMBLING, "killed", Cohort.TREATMENT, 10, 5, 1.0)));
        gauges.record(
                at(0, window(ScopeType.FLAG_COHORT, WindowKind.TUMBLING, "ramping", Cohort.TREATMENT, 10, 0, 1.0)));
        for (int minute = 1; minute <= 2; minute++) {
            gauges.record(at(minute, window(ScopeType.GLOBAL, WindowKind.TUMBLING, null, null, 10, 0, 1.0)));
            gauges.record(at(
                    minute,
                    window(ScopeType.FLAG_COHORT, WindowKind.TUMBLING, "ramping", Cohort.TREATMENT, 0, 0, null)));
        }
        assertThat(registry.find("rollguard.cohort.events")
                        .tag("flag", "killed")
                        .gauges())
                .as("two windows closed without it: still within the bound")
                .hasSize(1);

        // Only the global window closes the next minute (every flag left rollout): the stopped cohort goes.
        gauges.record(at(3, window(ScopeType.GLOBAL, WindowKind.TUMBLING, null, null, 10, 0, 1.0)));
        assertThat(registry.find("rollguard.cohort.events")
                        .tag("flag", "killed")
                        .gauges())
                .isEmpty();
        assertThat(registry.find("rollguard.cohort.error.rate")
                        .tag("flag", "killed")
                        .gauges())
                .isEmpty();
        assertThat(registry.find("rollguard.cohort.events")
                        .tag("flag", "ramping")
                        .gauges())
                .as("a cohort whose windows go on, even empty ones, stays")
                .hasSize(1);

        // Back under rollout later: its gauges come back.
        gauges.record(at(4, window(ScopeType.FLAG_COHORT, WindowKind.TUMBLING, "killed", Cohort.TREATMENT, 3, 0, 1.0)));
        assertThat(registry.find("rollguard.cohort.events")
                        .tag("flag", "killed")
                        .gauge()
                        .value())
                .isEqualTo(3);
    }

    private static WindowMetricsEvent at(int minute, WindowMetricsEvent window) {
        window.setWindowStart(window.getWindowStart().plusSeconds(60L * minute));
        window.setWindowEnd(window.getWindowEnd().plusSeconds(60L * minute));
        return window;
    }

    @Test
    void otherScopesAndHoppingWindowsAreNotGauges() {
        gauges.record(window(ScopeType.GLOBAL, WindowKind.TUMBLING, null, null, 100, 1, 10.0));
        gauges.record(window(ScopeType.FLAG_COHORT, WindowKind.HOPPING, "x", Cohort.TREATMENT, 100, 1, 10.0));

        assertThat(registry.find("rollguard.cohort.events").gauges()).isEmpty();
    }

    private double value(String name, String cohort) {
        return registry.get(name)
                .tag("flag", "offline-recording")
                .tag("cohort", cohort)
                .gauge()
                .value();
    }

    private static WindowMetricsEvent window(
            ScopeType type, WindowKind kind, String flag, Cohort cohort, long events, long failures, Double p95) {
        Instant start = Instant.parse("2026-11-22T08:00:00Z");
        return WindowMetricsEvent.newBuilder()
                .setScopeType(type)
                .setScopeKey(flag == null ? "global" : "flag:" + flag)
                .setFlagKey(flag)
                .setCohort(cohort)
                .setWindowKind(kind)
                .setWindowStart(start)
                .setWindowEnd(start.plusSeconds(60))
                .setEmittedAt(start.plusSeconds(70))
                .setEventCount(events)
                .setSuccessCount(events - failures)
                .setFailureCount(failures)
                .setSuccessRate((double) (events - failures) / events)
                .setErrorRate((double) failures / events)
                .setDurationP95Ms(p95)
                .build();
    }
}
