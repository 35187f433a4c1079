package dev.rollguard.ingest.service;

import dev.rollguard.http.error.ApiException;
import dev.rollguard.ingest.config.IngestConfig;
import dev.rollguard.ingest.domain.AggregateLimits;
import dev.rollguard.ingest.domain.HealthReport;
import dev.rollguard.ingest.domain.ScopeKeys;
import dev.rollguard.ingest.domain.WindowAggregate;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.FlagChangedEvent;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Builds the health report from the tumbling-window store by an interactive query ({@link TumblingWindows}): the
 * windows of the scope that overlap the time range, open ones included, merged into one aggregate (counts add, the
 * sketches merge). A scope whose partition another instance hosts is asked from that instance
 * ({@link RemoteWindowsClient}), found through Kafka Streams' metadata and {@code application.server}.
 */
@ApplicationScoped
public class HealthReportService {

    private static final double MB = 1024.0 * 1024.0;

    private final TumblingWindows store;
    private final IngestConfig config;
    private final AggregateLimits limits;
    private final RemoteWindowsClient remote;
    private final FlagDirectory directory;

    public HealthReportService(
            TumblingWindows store, IngestConfig config, RemoteWindowsClient remote, FlagDirectory directory) {
        this.store = store;
        this.config = config;
        this.limits = store.limits();
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
        // Every other instance is asked at once, and all of them answer within one deadline: a flag with weighted
        // variants has a scope per variant, and asked one after another they could take the timeout each.
        Map<String, RemoteWindowsClient.Ask> asked = new HashMap<>();
        long deadline = System.nanoTime() + RemoteWindowsClient.TIMEOUT.toNanos();
        WindowAggregate merged = new WindowAggregate(limits);
        int windows = 0;
        try {
            for (String key : keys) {
                if (!store.hostedLocally(key)) {
                    asked.put(key, remote.ask(store.host(key), key, start, end));
                }
            }
            for (String key : keys) {
                RemoteWindowsClient.Ask ask = asked.get(key);
                ScopeWindows part = ask == null ? localWindows(key, start, end) : ask.await(deadline);
                merged.merge(part.aggregate(), limits);
                windows += part.windows();
            }
        } catch (RuntimeException e) {
            asked.values().forEach(RemoteWindowsClient.Ask::cancel);
            throw e;
        }
        return toReport(describe(flag, cohort, table), keys, start, end, windows, merged);
    }

    /** The merged windows of one scope that overlap {@code [start, end]}, from this instance's store only. */
    public ScopeWindows localWindows(String key, Instant start, Instant end) {
        return store.local(key, start, end);
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
