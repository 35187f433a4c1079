package dev.rollguard.ingest.service;

import dev.rollguard.schemas.event.ScopeType;
import dev.rollguard.schemas.event.WindowKind;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The latest closed tumbling window of each flag cohort as gauges, so Prometheus (and the Grafana dashboard of
 * deploy/k8s) can chart treatment against control: {@code rollguard.cohort.success.rate}, {@code .error.rate},
 * {@code .duration.p95.ms} and {@code .events}, tagged {@code flag} and {@code cohort}. A figure with no sample
 * reads NaN. One series per flag and cohort: bounded by the flags that report telemetry.
 */
@ApplicationScoped
public class CohortGauges {

    /** The figures of one cohort's latest window. */
    static final class Latest {
        volatile double successRate = Double.NaN;
        volatile double errorRate = Double.NaN;
        volatile double p95 = Double.NaN;
        volatile double events;
    }

    private final MeterRegistry registry;
    private final Map<String, Latest> cohorts = new ConcurrentHashMap<>();

    public CohortGauges(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Takes a closed window; only tumbling flag-cohort windows are kept. */
    public void record(WindowMetricsEvent window) {
        if (window.getScopeType() != ScopeType.FLAG_COHORT
                || window.getWindowKind() != WindowKind.TUMBLING
                || window.getFlagKey() == null
                || window.getCohort() == null) {
            return;
        }
        String cohort = window.getCohort().name().toLowerCase(Locale.ROOT);
        Latest latest = cohorts.computeIfAbsent(
                window.getFlagKey() + "\u0000" + cohort, k -> register(window.getFlagKey(), cohort));
        latest.successRate = orNaN(window.getSuccessRate());
        latest.errorRate = orNaN(window.getErrorRate());
        latest.p95 = orNaN(window.getDurationP95Ms());
        latest.events = window.getEventCount();
    }

    private Latest register(String flag, String cohort) {
        Latest latest = new Latest();
        Tags tags = Tags.of("flag", flag, "cohort", cohort);
        Gauge.builder("rollguard.cohort.success.rate", latest, l -> l.successRate)
                .description("Success rate of the flag cohort's latest closed window")
                .tags(tags)
                .register(registry);
        Gauge.builder("rollguard.cohort.error.rate", latest, l -> l.errorRate)
                .description("Error rate of the flag cohort's latest closed window")
                .tags(tags)
                .register(registry);
        Gauge.builder("rollguard.cohort.duration.p95.ms", latest, l -> l.p95)
                .description("p95 duration (ms) of the flag cohort's latest closed window")
                .tags(tags)
                .register(registry);
        Gauge.builder("rollguard.cohort.events", latest, l -> l.events)
                .description("Events in the flag cohort's latest closed window")
                .tags(tags)
                .register(registry);
        return latest;
    }

    private static double orNaN(Double value) {
        return value == null ? Double.NaN : value;
    }
}
