package dev.rollguard.ingest.service;

import dev.rollguard.http.error.ApiException;
import dev.rollguard.ingest.config.IngestConfig;
import dev.rollguard.ingest.domain.AggregateLimits;
import dev.rollguard.ingest.domain.HealthReport;
import dev.rollguard.ingest.domain.ScopeKeys;
import dev.rollguard.ingest.domain.WindowAggregate;
import dev.rollguard.ingest.topology.TelemetryTopology;
import dev.rollguard.ingest.topology.TopologySettings;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.FlagChangedEvent;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
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
 * Builds the health report from the tumbling-window store by an interactive query: the windows of the scope that
 * overlap the time range, open ones included, merged into one aggregate (counts add, the sketches merge). A scope
 * whose partition another instance hosts is asked from that instance ({@link RemoteWindowsClient}), found through
 * Kafka Streams' metadata and {@code application.server}.
 */
@ApplicationScoped
public class HealthReportService {

    private static final double MB = 1024.0 * 1024.0;

    private final KafkaStreams streams;
    private final IngestConfig config;
    private final AggregateLimits limits;
    private final RemoteWindowsClient remote;
    private final FlagDirectory directory;

    public HealthReportService(
            KafkaStreams streams, IngestConfig config, RemoteWindowsClient remote, FlagDirectory directory) {
        this.streams = streams;
        this.config = config;
        this.limits = TopologySettings.limits(config);
        this.remote = remote;
        this.directory = directory;
    }

    /** The merged windows of one scope, with how many windows were merged. */
    public record ScopeWindows(int windows, WindowAggregate aggregate) {}

    /** The report; {@code flag}, {@code cohort} and {@code table} narrow the scope (flag and table exclude each other). */
    public HealthReport report(String flag, String cohort, String table, Instant from, Instant to) {
        List<String> keys = scopeKeys(flag, cohort, table, flag == null ? null : directory.latest(flag));
        Instant end = to == null ? Instant.now() : to;
        Instant start = from == null ? end.minus(config.report().defaultRange()) : from;
        if (start.isAfter(end)) {
            throw ApiException.invalid("from", "must not be after to");
        }
        if (Duration.between(start, end).compareTo(config.report().maxRange()) > 0) {
            throw ApiException.invalid(
                    "from", "the range may span at most " + config.report().maxRange());
        }
        WindowAggregate merged = new WindowAggregate(limits);
        int windows = 0;
        for (String key : keys) {
            ScopeWindows part =
                    ownedLocally(key) ? localWindows(key, start, end) : remote.fetch(owner(key), key, start, end);
            merged.merge(part.aggregate(), limits);
            windows += part.windows();
        }
        return toReport(describe(flag, cohort, table), keys, start, end, windows, merged);
    }

    /** The merged windows of one scope that overlap {@code [start, end]}, from this instance's store only. */
    public ScopeWindows localWindows(String key, Instant start, Instant end) {
        ReadOnlyWindowStore<String, WindowAggregate> store = store();
        WindowAggregate merged = new WindowAggregate(limits);
        int windows = 0;
        // Windows are fetched by start time: those starting up to one window size before the range overlap it.
        Instant firstStart = start.minus(config.windows().size()).plusMillis(1);
        try (WindowStoreIterator<WindowAggregate> it = store.fetch(key, firstStart, end)) {
            while (it.hasNext()) {
                merged.merge(it.next().value, limits);
                windows++;
            }
        } catch (InvalidStateStoreException e) {
            throw unavailable();
        }
        return new ScopeWindows(windows, merged);
    }

    /**
     * Whether an active task of this instance holds the scope's partition. Asked of Kafka Streams' own task
     * assignment rather than compared with {@code application.server}, which a proxy or a random test port can make
     * differ from the address other instances see.
     */
    private boolean ownedLocally(String key) {
        int partition = metadata(key).partition();
        String repartition = "-" + TelemetryTopology.SCOPES_REPARTITION + "-repartition";
        return streams.metadataForLocalThreads().stream()
                .flatMap(thread -> thread.activeTasks().stream())
                .flatMap(task -> task.topicPartitions().stream())
                .anyMatch(tp -> tp.partition() == partition && tp.topic().endsWith(repartition));
    }

    private HostInfo owner(String key) {
        HostInfo host = metadata(key).activeHost();
        if (host == null || host.port() < 0) {
            throw unavailable();
        }
        return host;
    }

    private KeyQueryMetadata metadata(String key) {
        KeyQueryMetadata metadata = streams.queryMetadataForKey(
                TelemetryTopology.TUMBLING_STORE, key, Serdes.String().serializer());
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

    static List<String> scopeKeys(String flag, String cohort, String table) {
        return scopeKeys(flag, cohort, table, null);
    }

    /**
     * The scopes of a report; the treatment of a flag with weighted variants (as {@code state} has it) is the sum of
     * its variants' cohorts.
     */
    static List<String> scopeKeys(String flag, String cohort, String table, FlagChangedEvent state) {
        if (state != null && !state.getVariantWeights().isEmpty() && table == null) {
            List<String> plain = scopeKeys(flag, cohort, table, null);
            List<String> keys = new ArrayList<>();
            for (String key : plain) {
                if (ScopeKeys.cohort(key) == Cohort.TREATMENT) {
                    state.getVariantWeights()
                            .forEach(w -> keys.add(ScopeKeys.flag(flag, Cohort.TREATMENT, w.getVariant())));
                } else {
                    keys.add(key);
                }
            }
            return keys;
        }
        if (flag != null && table != null) {
            throw ApiException.invalid("table", "a report is about a flag or a table, not both");
        }
        if (cohort != null && flag == null) {
            throw ApiException.invalid("cohort", "needs a flag");
        }
        if (flag != null) {
            if (cohort == null) {
                return List.of(ScopeKeys.flag(flag, Cohort.TREATMENT), ScopeKeys.flag(flag, Cohort.CONTROL));
            }
            try {
                return List.of(ScopeKeys.flag(flag, Cohort.valueOf(cohort.toUpperCase(Locale.ROOT))));
            } catch (IllegalArgumentException e) {
                throw ApiException.invalid("cohort", "must be treatment or control");
            }
        }
        if (table != null) {
            return List.of(ScopeKeys.table(table));
        }
        return List.of(ScopeKeys.GLOBAL);
    }

    private static String describe(String flag, String cohort, String table) {
        if (flag != null) {
            return "flag " + flag + (cohort == null ? "" : " (" + cohort.toLowerCase(Locale.ROOT) + ")");
        }
        return table != null ? "table " + table : "global";
    }

    static HealthReport toReport(
            String scope, List<String> keys, Instant from, Instant to, int windows, WindowAggregate a) {
        long syncs = a.syncCount();
        long failed = a.syncFailureCount();
        Long used = a.lastStorageUsedBytes();
        Long quota = a.lastStorageQuotaBytes();
        List<HealthReport.ErrorCode> top = new ArrayList<>();
        a.topErrors().stream()
                .limit(10)
                .forEach(e -> top.add(new HealthReport.ErrorCode(
                        e.getKey(), e.getValue().count(), e.getValue().lastMessage())));
        List<HealthReport.Error> recent = a.recentErrors().stream()
                .map(e -> new HealthReport.Error(Instant.ofEpochMilli(e.time()), e.table(), e.code(), e.message()))
                .toList();
        return new HealthReport(
                scope,
                keys,
                from,
                to,
                windows,
                syncs,
                syncs - failed,
                failed,
                syncs == 0 ? null : 100.0 * (syncs - failed) / syncs,
                a.syncDurationAvgMs(),
                a.syncDurationMaxMs(),
                a.syncDurationMinMs(),
                a.durationQuantileMs(0.50),
                a.durationQuantileMs(0.95),
                a.durationQuantileMs(0.99),
                a.uploadCount(),
                a.uploadFailureCount(),
                a.uploadBytes(),
                a.distinctClients(),
                used == null ? null : used / MB,
                quota == null || quota < 0 ? null : quota / MB,
                used == null || quota == null || quota <= 0 ? null : 100.0 * used / quota,
                a.pendingMutationsMax(),
                a.failedMutationsMax(),
                a.quotaExceededCount(),
                top,
                recent);
    }
}
