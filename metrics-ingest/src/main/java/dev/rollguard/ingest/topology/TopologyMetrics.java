package dev.rollguard.ingest.topology;

import io.micrometer.core.instrument.Metrics;

/**
 * Counters of the topology. Kafka Streams instantiates handlers and processors itself, so they reach Micrometer
 * through the global registry, which Quarkus feeds into its Prometheus registry. Tags stay low-cardinality: stable
 * codes, never ids.
 */
public final class TopologyMetrics {

    private TopologyMetrics() {}

    /** A telemetry event accepted ({@code outcome=accepted}), dropped as a duplicate, or refused ({@code invalid}). */
    public static void event(String kind, String outcome) {
        Metrics.counter("rollguard.ingest.events", "kind", kind, "outcome", outcome)
                .increment();
    }

    /** A record written to the dead-letter topic. */
    public static void deadLettered(String stage, String code) {
        Metrics.counter("rollguard.ingest.dead.letters", "stage", stage, "code", code)
                .increment();
    }

    /** Exposures whose cohort could not be resolved (unknown flag and no {@code treated}). */
    public static void unresolvedExposures(int count) {
        if (count > 0) {
            Metrics.counter("rollguard.ingest.exposures.unresolved").increment(count);
        }
    }

    /** A closed window published. */
    public static void windowEmitted(String kind) {
        Metrics.counter("rollguard.ingest.windows.emitted", "kind", kind).increment();
    }
}
