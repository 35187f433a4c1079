package dev.rollguard.ingest.topology;

import dev.rollguard.ingest.config.IngestConfig;
import dev.rollguard.ingest.service.CohortGauges;
import dev.rollguard.ingest.service.FlagDirectory;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.apache.kafka.streams.Topology;

/** Hands the telemetry topology to the Quarkus Kafka Streams extension, which runs and health-checks it. */
@ApplicationScoped
public class TopologyProducer {

    private final IngestConfig config;
    private final CohortGauges gauges;

    public TopologyProducer(IngestConfig config, CohortGauges gauges) {
        this.config = config;
        this.gauges = gauges;
    }

    @Produces
    @Singleton
    FlagDirectory flagDirectory() {
        return new FlagDirectory(config.flags().historyVersions());
    }

    @Produces
    @Singleton
    Topology topology(FlagDirectory directory) {
        return TelemetryTopology.build(TopologySettings.from(config), directory, gauges::record);
    }
}
