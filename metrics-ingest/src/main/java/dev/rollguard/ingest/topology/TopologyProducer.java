package dev.rollguard.ingest.topology;

import dev.rollguard.ingest.config.IngestConfig;
import dev.rollguard.ingest.service.CohortGauges;
import dev.rollguard.ingest.service.FlagDirectory;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Duration;
import org.apache.kafka.streams.Topology;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** Hands the telemetry topology to the Quarkus Kafka Streams extension, which runs and health-checks it. */
@ApplicationScoped
public class TopologyProducer {

    /** How long to wait for the telemetry topics to exist before the service fails to start. */
    private static final Duration TOPICS_WAIT = Duration.ofSeconds(60);

    private final IngestConfig config;
    private final CohortGauges gauges;
    private final String bootstrapServers;

    public TopologyProducer(
            IngestConfig config,
            CohortGauges gauges,
            @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers) {
        this.config = config;
        this.gauges = gauges;
        this.bootstrapServers = bootstrapServers;
    }

    @Produces
    @Singleton
    FlagDirectory flagDirectory() {
        return new FlagDirectory(config.flags().historyVersions());
    }

    /**
     * When the broker was reachable, fed by {@code BrokerProbe}: answers at most three probe intervals apart count as
     * reachable in between; spans are kept long enough for several startup idle times.
     */
    @Produces
    @Singleton
    BrokerReachability brokerReachability() {
        Duration probe = config.windows().brokerProbeInterval();
        Duration idle = config.windows().idleTimeout();
        Duration keep = idle.multipliedBy(2L * TelemetryProcessor.STARTUP_IDLE_FACTOR);
        return BrokerReachability.probed(
                probe.multipliedBy(3), max(max(keep, Duration.ofHours(1)), probe.multipliedBy(3)));
    }

    @Produces
    @Singleton
    Topology topology(FlagDirectory directory, BrokerReachability reachability) {
        // A bad memory size stops the start here, not at the first store a stream thread opens.
        long rocksdbBytes = config.rocksdb().memoryBytes();
        if (rocksdbBytes < BoundedMemoryRocksDBConfig.MIN_MEMORY_BYTES) {
            throw new IllegalArgumentException("metrics-ingest.rocksdb.memory-bytes must be at least "
                    + BoundedMemoryRocksDBConfig.MIN_MEMORY_BYTES + " (16 MiB), not " + rocksdbBytes);
        }
        int partitions = TopicPartitions.inputPartitions(bootstrapServers, TopicNames.DEFAULT, TOPICS_WAIT);
        return TelemetryTopology.build(
                TopologySettings.from(config, partitions), directory, gauges::record, reachability);
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }
}
