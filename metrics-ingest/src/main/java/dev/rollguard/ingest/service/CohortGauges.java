package dev.rollguard.ingest.service;

import dev.rollguard.schemas.event.ScopeType;
import dev.rollguard.schemas.event.WindowKind;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The latest closed tumbling window of each flag cohort as gauges, so Prometheus (and the Grafana dashboard of
 * deploy/k8s) can chart treatment against control: {@code rollguard.cohort.success.rate}, {@code .error.rate},
 * {@code .duration.p95} (seconds) and {@code .events}, tagged {@code flag} and {@code cohort}. A figure with no sample
 * reads NaN. One series per flag and cohort under rollout: a cohort whose windows stopped (the flag was killed,
 * switched off or fully rolled out) is removed once two more windows have closed without it, so a dashboard never
 * shows a stopped rollout's last window as if it were current.
 */
@ApplicationScoped
public class CohortGauges {

    /** The figures of one cohort's latest window. */
    static final class Latest {
        volatile double successRate = Double.NaN;
        volatile double errorRate = Double.NaN;
        volatile double p95Seconds = Double.NaN;
        volatile double events;
        volatile long windowEnd;
        final List<Meter> meters = new ArrayList<>(4);
    }

    /** Windows that may close without a cohort before its gauges go. */
    static final int STALE_AFTER_WINDOWS = 2;

    private final MeterRegistry registry;
    private final Map<String, Latest> cohorts = new ConcurrentHashMap<>();
    private volatile long newestEnd;

    public CohortGauges(MeterRegistry registry) {
        this.registry = registry;
    }

    /**
     * Takes a closed window; only tumbling flag-cohort windows become gauges, and every tumbling window (the global
     * scope's closes each window, events or not) moves the clock that retires cohorts whose windows stopped.
     */
    public synchronized void record(WindowMetricsEvent window) {
        if (window.getWindowKind() != WindowKind.TUMBLING) {
            return;
        }
        long end = window.getWindowEnd().toEpochMilli();
        if (end > newestEnd) {
            newestEnd = end;
            long size = end - window.getWindowStart().toEpochMilli();
            retireOlderThan(end - STALE_AFTER_WINDOWS * size);
        }
        if (window.getScopeType() != ScopeType.FLAG_COHORT
                || window.getFlagKey() == null
                || window.getCohort() == null) {
            return;
        }
        // A weighted flag's treated variants are cohorts of their own: "treatment:<variant>".
        String cohort = window.getCohort().name().toLowerCase(Locale.ROOT)
                + (window.getVariant() == null ? "" : ":" + window.getVariant());
        Latest latest = cohorts.computeIfAbsent(
                window.getFlagKey() + "\u0000" + cohort, k -> register(window.getFlagKey(), cohort));
        latest.successRate = orNaN(window.getSuccessRate());
        latest.errorRate = orNaN(window.getErrorRate());
        latest.p95Seconds = orNaN(window.getDurationP95Ms()) / 1000.0;
        latest.events = window.getEventCount();
        latest.windowEnd = Math.max(latest.windowEnd, end);
    }

    private void retireOlderThan(long cutoff) {
        cohorts.entrySet().removeIf(entry -> {
            if (entry.getValue().windowEnd >= cutoff) {
                return false;
            }
            entry.getValue().meters.forEach(registry::remove);
            return true;
        });
    }

    private Latest register(String flag, String cohort) {
        Latest latest = new Latest();
        Tags tags = Tags.of("flag", flag, "cohort", cohort);
        latest.meters.add(Gauge.builder("rollguard.cohort.success.rate", latest, l -> l.successRate)
                .description("Success rate of the flag cohort's latest closed window")
                .tags(tags)
                .register(registry));
        latest.meters.add(Gauge.builder("rollguard.cohort.error.rate", latest, l -> l.errorRate)
                .description("Error rate of the flag cohort's latest closed window")
                .tags(tags)
                .register(registry));
        latest.meters.add(Gauge.builder("rollguard.cohort.duration.p95", latest, l -> l.p95Seconds)
                .description("p95 duration of the flag cohort's latest closed window")
                .baseUnit("seconds")
                .tags(tags)
                .register(registry));
        latest.meters.add(Gauge.builder("rollguard.cohort.events", latest, l -> l.events)
                .description("Events in the flag cohort's latest closed window")
                .tags(tags)
                .register(registry));
        return latest;
    }

    private static double orNaN(Double value) {
        return value == null ? Double.NaN : value;
    }
}
