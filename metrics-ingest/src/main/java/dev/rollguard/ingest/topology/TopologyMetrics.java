package dev.rollguard.ingest.topology;

import dev.rollguard.schemas.event.ScopeType;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Metrics;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Counters of the topology. Kafka Streams instantiates handlers and processors itself, so they reach Micrometer
 * through the global registry, which Quarkus feeds into its Prometheus registry. Tags stay low-cardinality: stable
 * codes, never ids. Counters are looked up once and kept: a registry lookup per event costs more than the counting.
 */
public final class TopologyMetrics {

    private static final Map<String, Counter> COUNTERS = new ConcurrentHashMap<>();

    private TopologyMetrics() {}

    private static Counter counter(String name, String... tags) {
        String id = name + String.join("\u0000", tags);
        Counter counter = COUNTERS.get(id);
        if (counter == null) {
            counter = COUNTERS.computeIfAbsent(id, k -> Metrics.counter(name, tags));
        }
        return counter;
    }

    /** The event counters by kind and outcome: counted twice per event, so found without building an id. */
    private static final Map<String, Map<String, Counter>> EVENTS = new ConcurrentHashMap<>();

    /** A telemetry event accepted ({@code outcome=accepted}), dropped as a duplicate, or refused ({@code invalid}). */
    public static void event(String kind, String outcome) {
        Map<String, Counter> byOutcome = EVENTS.computeIfAbsent(kind, k -> new ConcurrentHashMap<>());
        Counter counter = byOutcome.get(outcome);
        if (counter == null) {
            counter = byOutcome.computeIfAbsent(
                    outcome, o -> counter("rollguard.ingest.events", "kind", kind, "outcome", outcome));
        }
        counter.increment();
    }

    /** A record written to the dead-letter topic. */
    public static void deadLettered(String stage, String code) {
        counter("rollguard.ingest.dead.letters", "stage", stage, "code", code).increment();
    }

    private static final DistributionSummary COHORT_SCOPES = DistributionSummary.builder(
                    "rollguard.ingest.cohort.scopes")
            .description("Flag cohort scopes per event: one per flag under rollout that the event counts for")
            .register(Metrics.globalRegistry);

    /** The flag cohort scopes an event counts for. */
    public static void cohortScopes(int count) {
        COHORT_SCOPES.record(count);
    }

    /**
     * Exposures whose cohort could not be resolved: an unknown flag without {@code treated}, or past the unknown flags
     * given cohort scopes at once ({@code CohortAssigner.MAX_UNKNOWN_FLAGS}).
     */
    public static void unresolvedExposures(int count) {
        if (count > 0) {
            counter("rollguard.ingest.exposures.unresolved").increment(count);
        }
    }

    /**
     * Per flag, events left out of its cohorts: the flag draws subjects by its bucket, and did not draw the event's
     * subject at the share it compares (a list, a rule with a fixed variant, a parent off for it, another share, no
     * evaluation), so the subject is another population than the ones compared ({@code BucketDraws}).
     */
    public static void targetedSubjects(List<String> flags) {
        for (String flag : flags) {
            counter("rollguard.ingest.cohort.targeted", "flag", flag).increment();
        }
    }

    /**
     * A valid event that arrived after its window closed on its input task: dead-lettered with the code LATE, not
     * counted in a window.
     */
    public static void lateEvent(String kind) {
        counter("rollguard.ingest.late.events", "kind", kind, "stage", "input").increment();
    }

    /**
     * Events of a partial that reached the merge after its window was emitted: merged into the stored window (the
     * health report), not into the published one.
     */
    public static void lateAtMerge(ScopeType scopeType, long events) {
        if (events > 0) {
            counter(
                            "rollguard.ingest.late.events",
                            "kind",
                            "partial",
                            "stage",
                            "merge",
                            "scope_type",
                            scopeType.name().toLowerCase(Locale.ROOT))
                    .increment(events);
        }
    }

    /** A processor threw on a record, which was skipped ({@link ProcessingDeadLetterHandler}). */
    public static void processingError(String node) {
        counter("rollguard.ingest.processing.errors", "node", node == null ? "none" : node)
                .increment();
    }

    /** A closed window not published: its scope key is not one a window can be published under. */
    public static void windowUnpublishable(String kind) {
        counter("rollguard.ingest.windows.unpublishable", "kind", kind).increment();
    }

    /** A closed window published. */
    public static void windowEmitted(String kind) {
        counter("rollguard.ingest.windows.emitted", "kind", kind).increment();
    }

    private static final Map<String, Counter> SAMPLED_OUT = new ConcurrentHashMap<>();

    /**
     * An event of a client that its cohort's sample leaves out ({@code guard.max-clients-per-cohort}): counted in the
     * window, not in the client-level sums.
     */
    public static void sampledOut(String flagKey) {
        Counter counter = SAMPLED_OUT.get(flagKey);
        if (counter == null) {
            counter = SAMPLED_OUT.computeIfAbsent(
                    flagKey, f -> Metrics.counter("rollguard.ingest.guard.clients.sampled.out", "flag", f));
        }
        counter.increment();
    }

    /** A cohort of a flag's stage passed its cap of tracked clients in an input task and halved its sample. */
    public static void sampleLevelRaised(String flagKey) {
        counter("rollguard.ingest.guard.sample.level.raised", "flag", flagKey).increment();
    }
}
