package dev.rollguard.ingest.topology;

import dev.rollguard.ingest.config.IngestConfig;
import dev.rollguard.ingest.domain.AggregateLimits;
import dev.rollguard.ingest.service.ValidationRules;
import java.time.Duration;

/**
 * Everything {@link TelemetryTopology} is built from, independent of CDI so that the TopologyTestDriver tests, the
 * exactly-once test and the benchmark build the very topology the service runs.
 */
public record TopologySettings(
        TopicNames topics,
        Duration windowSize,
        Duration grace,
        Duration flushInterval,
        Duration idleTimeout,
        int inputPartitions,
        Duration clientStateTtl,
        int maxClientsPerCohort,
        boolean hoppingEnabled,
        Duration hoppingSize,
        Duration hoppingAdvance,
        Duration retention,
        Duration dedupHorizon,
        ValidationRules validation,
        int flagHistoryVersions,
        AggregateLimits limits) {

    /** The service's default of {@code windows.flush-interval}. */
    public static final Duration DEFAULT_FLUSH_INTERVAL = Duration.ofMillis(200);

    /** The service's default of {@code guard.client-state-ttl}. */
    public static final Duration DEFAULT_CLIENT_STATE_TTL = Duration.ofHours(24);

    /** The service's default of {@code guard.max-clients-per-cohort}. */
    public static final int DEFAULT_MAX_CLIENTS_PER_COHORT = 5_000;

    /** The service's default of {@code windows.idle-timeout}. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(10);

    /**
     * The settings of the service; {@code inputPartitions} is the partition count of the telemetry topics, the number
     * of input tasks whose progress closes a window.
     */
    public static TopologySettings from(IngestConfig config, int inputPartitions) {
        IngestConfig.Windows w = config.windows();
        return new TopologySettings(
                TopicNames.DEFAULT,
                w.size(),
                w.grace(),
                w.flushInterval(),
                w.idleTimeout(),
                inputPartitions,
                config.guard().clientStateTtl(),
                config.guard().maxClientsPerCohort(),
                w.hopping().enabled(),
                w.hopping().size(),
                w.hopping().advance(),
                w.retention(),
                config.dedup().horizon(),
                ValidationRules.from(config.validation()),
                config.flags().historyVersions(),
                limits(config));
    }

    /** The limits of the aggregates, from the service's configuration. */
    public static AggregateLimits limits(IngestConfig config) {
        IngestConfig.Sketch s = config.sketch();
        return new AggregateLimits(s.relativeAccuracy(), s.distinctExactUpTo(), s.errorCodes(), s.recentErrors());
    }

    /** The defaults of the service, with other windows and one input partition: what most tests start from. */
    public static TopologySettings of(TopicNames topics, Duration windowSize, Duration grace) {
        return new TopologySettings(
                topics,
                windowSize,
                grace,
                DEFAULT_FLUSH_INTERVAL,
                DEFAULT_IDLE_TIMEOUT,
                1,
                DEFAULT_CLIENT_STATE_TTL,
                DEFAULT_MAX_CLIENTS_PER_COHORT,
                true,
                windowSize.multipliedBy(5),
                windowSize,
                Duration.ofHours(6),
                Duration.ofHours(24),
                ValidationRules.DEFAULTS,
                32,
                AggregateLimits.DEFAULTS);
    }

    public TopologySettings withTopics(TopicNames names) {
        return new TopologySettings(
                names,
                windowSize,
                grace,
                flushInterval,
                idleTimeout,
                inputPartitions,
                clientStateTtl,
                maxClientsPerCohort,
                hoppingEnabled,
                hoppingSize,
                hoppingAdvance,
                retention,
                dedupHorizon,
                validation,
                flagHistoryVersions,
                limits);
    }

    public TopologySettings withDedupHorizon(Duration horizon) {
        return new TopologySettings(
                topics,
                windowSize,
                grace,
                flushInterval,
                idleTimeout,
                inputPartitions,
                clientStateTtl,
                maxClientsPerCohort,
                hoppingEnabled,
                hoppingSize,
                hoppingAdvance,
                retention,
                horizon,
                validation,
                flagHistoryVersions,
                limits);
    }

    public TopologySettings withHopping(boolean enabled, Duration size, Duration advance) {
        return new TopologySettings(
                topics,
                windowSize,
                grace,
                flushInterval,
                idleTimeout,
                inputPartitions,
                clientStateTtl,
                maxClientsPerCohort,
                enabled,
                size,
                advance,
                retention,
                dedupHorizon,
                validation,
                flagHistoryVersions,
                limits);
    }

    /** The same with {@code partitions} input partitions (the partition count of the telemetry topics). */
    public TopologySettings withInputPartitions(int partitions) {
        return new TopologySettings(
                topics,
                windowSize,
                grace,
                flushInterval,
                idleTimeout,
                partitions,
                clientStateTtl,
                maxClientsPerCohort,
                hoppingEnabled,
                hoppingSize,
                hoppingAdvance,
                retention,
                dedupHorizon,
                validation,
                flagHistoryVersions,
                limits);
    }

    /** The same with another interval at which the input tasks hand their partial windows on. */
    public TopologySettings withFlushInterval(Duration interval) {
        return new TopologySettings(
                topics,
                windowSize,
                grace,
                interval,
                idleTimeout,
                inputPartitions,
                clientStateTtl,
                maxClientsPerCohort,
                hoppingEnabled,
                hoppingSize,
                hoppingAdvance,
                retention,
                dedupHorizon,
                validation,
                flagHistoryVersions,
                limits);
    }

    /** The same with another idle timeout of the input partitions. */
    public TopologySettings withIdleTimeout(Duration timeout) {
        return new TopologySettings(
                topics,
                windowSize,
                grace,
                flushInterval,
                timeout,
                inputPartitions,
                clientStateTtl,
                maxClientsPerCohort,
                hoppingEnabled,
                hoppingSize,
                hoppingAdvance,
                retention,
                dedupHorizon,
                validation,
                flagHistoryVersions,
                limits);
    }

    /** The same with another cap on the clients tracked per flag, stage and cohort in each input task. */
    public TopologySettings withMaxClientsPerCohort(int max) {
        return new TopologySettings(
                topics,
                windowSize,
                grace,
                flushInterval,
                idleTimeout,
                inputPartitions,
                clientStateTtl,
                max,
                hoppingEnabled,
                hoppingSize,
                hoppingAdvance,
                retention,
                dedupHorizon,
                validation,
                flagHistoryVersions,
                limits);
    }
}
