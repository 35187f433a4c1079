package dev.rollguard.ingest.domain;

import java.time.Instant;
import java.util.List;

/**
 * The replication health report of one scope over a time range, merged from the windows of the state store. Rates
 * are percentages (0..100); figures without a sample are null.
 */
public record HealthReport(
        String scope,
        List<String> scopeKeys,
        Instant from,
        Instant to,
        int windows,
        long totalSyncs,
        long successfulSyncs,
        long failedSyncs,
        Double successRate,
        Double avgDurationMs,
        Double maxDurationMs,
        Double minDurationMs,
        Double p50DurationMs,
        Double p95DurationMs,
        Double p99DurationMs,
        long uploads,
        long failedUploads,
        long uploadBytes,
        long distinctClients,
        Double storageUsedMB,
        Double storageQuotaMB,
        Double storageUsagePercent,
        Long pendingMutations,
        Long failedMutations,
        long quotaExceeded,
        List<ErrorCode> topErrors,
        List<Error> recentErrors) {

    /** An error code and how often it was seen. */
    public record ErrorCode(String code, long count, String lastMessage) {}

    /** One recent failure. */
    public record Error(Instant timestamp, String tableName, String code, String error) {}
}
