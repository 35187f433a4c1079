package dev.rollguard.ingest.domain;

/**
 * One valid, deduplicated telemetry event reduced to what the windows aggregate, as it travels to each scope it
 * counts in. Absent optional figures are {@code -1}.
 *
 * @param clientHash 64-bit hash of the client id, for the distinct-client count
 */
public record Observation(
        TelemetryKind kind,
        long eventTime,
        boolean success,
        long durationMs,
        long clientHash,
        String table,
        long storageUsedBytes,
        long storageQuotaBytes,
        int pendingMutations,
        int failedMutations,
        int syncQueueLength,
        long bytes,
        boolean quotaExceeded,
        String errorCode,
        String errorMessage) {

    /** The error code recorded for a failure without one. */
    public static final String UNKNOWN_ERROR = "UNKNOWN";

    /**
     * The largest storage share counted, 1 000 %: beyond the quota is possible (a soft quota, a late estimate), ten
     * times beyond is a unit mistake (the quota in kilobytes), which would otherwise swamp a window's mean and the
     * guard's sums.
     */
    public static final double MAX_STORAGE_USED_PCT = 1000;

    /** Storage used as a percentage of the quota (at most {@link #MAX_STORAGE_USED_PCT}), or -1 when either is missing. */
    public double storageUsedPct() {
        if (storageUsedBytes < 0 || storageQuotaBytes <= 0) {
            return -1;
        }
        return Math.min(MAX_STORAGE_USED_PCT, 100.0 * storageUsedBytes / storageQuotaBytes);
    }
}
