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

    public static TopologySettings from(IngestConfig config) {
        IngestConfig.Windows w = config.windows();
        IngestConfig.Sketch s = config.sketch();
        return new TopologySettings(
                TopicNames.DEFAULT,
                w.size(),
                w.grace(),
                w.flushInterval(),
                w.hopping().enabled(),
                w.hopping().size(),
                w.hopping().advance(),
                w.retention(),
                config.dedup().horizon(),
                ValidationRules.from(config.validation()),
                config.flags().historyVersions(),
                new AggregateLimits(s.relativeAccuracy(), s.distinctExactUpTo(), s.errorCodes(), s.recentErrors()));
    }

    /** The defaults of the service, with other windows: what most tests start from. */
    public static TopologySettings of(TopicNames topics, Duration windowSize, Duration grace) {
        return new TopologySettings(
                topics,
                windowSize,
                grace,
                DEFAULT_FLUSH_INTERVAL,
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
                enabled,
                size,
                advance,
                retention,
                dedupHorizon,
                validation,
                flagHistoryVersions,
                limits);
    }
}
