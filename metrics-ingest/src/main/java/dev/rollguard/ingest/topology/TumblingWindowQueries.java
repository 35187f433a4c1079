package dev.rollguard.ingest.topology;

import dev.rollguard.http.error.ApiException;
import dev.rollguard.ingest.config.IngestConfig;
import dev.rollguard.ingest.domain.AggregateLimits;
import dev.rollguard.ingest.domain.WindowAggregate;
import dev.rollguard.ingest.service.HealthReportService;
import dev.rollguard.ingest.service.TumblingWindows;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * The tumbling-window store of {@link TelemetryTopology} by interactive queries: which instance hosts a scope (Kafka
 * Streams' metadata and {@code application.server}) and the merged windows of a scope this instance hosts.
 */
@ApplicationScoped
public class TumblingWindowQueries implements TumblingWindows {

    private final KafkaStreams streams;
    private final Duration windowSize;
    private final AggregateLimits limits;

    public TumblingWindowQueries(KafkaStreams streams, IngestConfig config) {
        this.streams = streams;
        this.windowSize = config.windows().size();
        this.limits = TopologySettings.limits(config);
    }

    @Override
    public AggregateLimits limits() {
        return limits;
    }

    @Override
    public HealthReportService.ScopeWindows local(String scope, Instant start, Instant end) {
        ReadOnlyWindowStore<String, WindowAggregate> store = store();
        WindowAggregate merged = new WindowAggregate(limits);
        int windows = 0;
        // Windows are fetched by start time: those starting up to one window size before the range overlap it. None
        // starts before the epoch (Kafka has no earlier record times); a range reaching further back is cut there, as
        // the store takes only instants of epoch milliseconds.
        Instant firstStart = start.minus(windowSize).plusMillis(1);
        if (firstStart.isBefore(Instant.EPOCH)) {
            firstStart = Instant.EPOCH;
        }
        if (end.isBefore(firstStart)) {
            return new HealthReportService.ScopeWindows(0, new WindowAggregate(limits));
        }
        try (WindowStoreIterator<WindowAggregate> it = store.fetch(scope, firstStart, end)) {
            while (it.hasNext()) {
                merged.merge(it.next().value, limits);
                windows++;
            }
        } catch (InvalidStateStoreException e) {
            throw unavailable();
        }
        return new HealthReportService.ScopeWindows(windows, merged);
    }

    /**
     * Asked of Kafka Streams' own task assignment rather than compared with {@code application.server}, which a proxy
     * or a random test port can make differ from the address other instances see.
     */
    @Override
    public boolean hostedLocally(String scope) {
        int partition = metadata(scope).partition();
        String repartition = "-" + TelemetryTopology.SCOPES_REPARTITION + "-repartition";
        return streams.metadataForLocalThreads().stream()
                .flatMap(thread -> thread.activeTasks().stream())
                .flatMap(task -> task.topicPartitions().stream())
                .anyMatch(tp -> tp.partition() == partition && tp.topic().endsWith(repartition));
    }

    @Override
    public HostInfo host(String scope) {
        HostInfo host = metadata(scope).activeHost();
        if (host == null || host.port() < 0) {
            throw unavailable();
        }
        return host;
    }

    private KeyQueryMetadata metadata(String scope) {
        KeyQueryMetadata metadata = streams.queryMetadataForKey(
                TelemetryTopology.TUMBLING_STORE, scope, Serdes.String().serializer());
        if (metadata == null || KeyQueryMetadata.NOT_AVAILABLE.equals(metadata)) {
            throw unavailable();
        }
        return metadata;
    }

    private ReadOnlyWindowStore<String, WindowAggregate> store() {
        if (streams.state() != KafkaStreams.State.RUNNING) {
            throw unavailable();
        }
        try {
            return streams.store(StoreQueryParameters.fromNameAndType(
                    TelemetryTopology.TUMBLING_STORE, QueryableStoreTypes.windowStore()));
        } catch (InvalidStateStoreException e) {
            throw unavailable();
        }
    }

    private static ApiException unavailable() {
        return new ApiException(
                503, "UNAVAILABLE", "the window stores are being restored or rebalanced; retry in a few seconds");
    }
}
