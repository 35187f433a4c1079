package dev.rollguard.schemas.guard;

import java.util.ArrayList;
import java.util.List;

/**
 * The guard metrics whose client-level moments metrics-ingest computes per flag cohort and the alert-service judges:
 * their names on {@code WindowMetricsEvent.clientMoments}, and the thresholds of the two tail ladders. Each metric is
 * a ratio of per-client sums, {@code sum Y_i / sum X_i}:
 *
 * <ul>
 *   <li>proportions: {@code failure} (failed events / events), {@code sync-failure}, {@code upload-failure}, {@code
 *       quota-exceeded};
 *   <li>means of reported figures: {@code pending-mutations}, {@code failed-mutations}, {@code sync-queue-length},
 *       {@code storage-used-pct} (sum of the reported values / reports);
 *   <li>tail ladders, one metric per rung {@code k}: {@code sync-duration@k} (syncs slower than {@link
 *       #SYNC_DURATION_LADDER_MS}[k] / syncs) and {@code upload-throughput@k} (uploads with a throughput below {@link
 *       #UPLOAD_THROUGHPUT_LADDER_BYTES_PER_SECOND}[k] / uploads with a duration).
 * </ul>
 */
public final class GuardMetrics {

    public static final String FAILURE = "failure";
    public static final String SYNC_FAILURE = "sync-failure";
    public static final String UPLOAD_FAILURE = "upload-failure";
    public static final String QUOTA_EXCEEDED = "quota-exceeded";
    public static final String PENDING_MUTATIONS = "pending-mutations";
    public static final String FAILED_MUTATIONS = "failed-mutations";
    public static final String SYNC_QUEUE_LENGTH = "sync-queue-length";
    public static final String STORAGE_USED = "storage-used-pct";
    public static final String SYNC_DURATION = "sync-duration";
    public static final String UPLOAD_THROUGHPUT = "upload-throughput";

    /** Rungs of each ladder. */
    public static final int RUNGS = 24;
    /** Sync duration ladder: 100 ms * sqrt(2)^k, k = 0..23 (100 ms to 290 s). */
    public static final List<Double> SYNC_DURATION_LADDER_MS = ladder(100, RUNGS);
    /** Upload throughput ladder: 8 kB/s * sqrt(2)^k, k = 0..23 (8 kB/s to 23 MB/s). */
    public static final List<Double> UPLOAD_THROUGHPUT_LADDER_BYTES_PER_SECOND = ladder(8_000, RUNGS);

    /** The ratio metrics, in the order of their indexes (the ladders' rungs follow). */
    public static final List<String> RATIOS = List.of(
            FAILURE,
            SYNC_FAILURE,
            UPLOAD_FAILURE,
            QUOTA_EXCEEDED,
            PENDING_MUTATIONS,
            FAILED_MUTATIONS,
            SYNC_QUEUE_LENGTH,
            STORAGE_USED);

    /** Index of the first sync-duration rung; the upload-throughput rungs follow it. */
    public static final int SYNC_DURATION_FIRST = RATIOS.size();

    public static final int UPLOAD_THROUGHPUT_FIRST = SYNC_DURATION_FIRST + RUNGS;

    /** Number of metric indexes. */
    public static final int COUNT = UPLOAD_THROUGHPUT_FIRST + RUNGS;

    private static final List<String> NAMES = names();

    private GuardMetrics() {}

    /** The name of a rung of a ladder, e.g. {@code sync-duration@12}. */
    public static String rung(String ladder, int k) {
        return ladder + "@" + k;
    }

    /** The name of metric index {@code i}. */
    public static String name(int i) {
        return NAMES.get(i);
    }

    /** The index of a metric name, or -1. */
    public static int index(String name) {
        return NAMES.indexOf(name);
    }

    /** {@code base * sqrt(2)^k} for {@code k = 0 .. rungs - 1}. */
    public static List<Double> ladder(double base, int rungs) {
        List<Double> thresholds = new ArrayList<>(rungs);
        for (int k = 0; k < rungs; k++) {
            thresholds.add(base * Math.pow(Math.sqrt(2), k));
        }
        return List.copyOf(thresholds);
    }

    private static List<String> names() {
        List<String> names = new ArrayList<>(RATIOS);
        for (int k = 0; k < RUNGS; k++) {
            names.add(rung(SYNC_DURATION, k));
        }
        for (int k = 0; k < RUNGS; k++) {
            names.add(rung(UPLOAD_THROUGHPUT, k));
        }
        return List.copyOf(names);
    }
}
