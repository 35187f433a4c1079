package dev.rollguard.bench.alert;

import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.Platform;
import dev.rollguard.schemas.event.ScopeType;
import dev.rollguard.schemas.event.WindowKind;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Windows as metrics-ingest emits them, one-minute tumbling windows in event time: per minute one global window, 20
 * tables, every platform and 50 flags with both cohorts (127 windows). Figures are mostly healthy; each table
 * degrades for 10 minutes and each flag regresses for 5 minutes once every {@code cycle} minutes (at its own phase),
 * so rules go pending, fire and resolve during the run. Event time advances one minute per 127 windows, much faster
 * than real time at benchmark rates, so a shorter cycle means many more alerts per second of wall time.
 */
final class WindowGenerator {

    private static final Duration MINUTE = Duration.ofMinutes(1);
    private static final int TABLES = 20;
    private static final int FLAGS = 50;

    private final SplittableRandom random = new SplittableRandom(42);
    private final long cycle;
    private Instant minute = Instant.parse("2026-01-01T00:00:00Z");
    private long ticks;

    WindowGenerator(long cycle) {
        this.cycle = cycle;
    }

    /** The windows of the next event-time minute. */
    List<WindowMetricsEvent> nextMinute() {
        List<WindowMetricsEvent> windows = new ArrayList<>(127);
        windows.add(window(ScopeType.GLOBAL, "global", 20_000, 0.003).build());
        for (int t = 0; t < TABLES; t++) {
            boolean degraded = (ticks + t * 97L) % cycle < 10;
            String table = "table" + t;
            windows.add(window(ScopeType.TABLE, "table:" + table, 1_000, degraded ? 0.08 : 0.002)
                    .setTable(table)
                    .build());
        }
        for (Platform platform : Platform.values()) {
            windows.add(window(ScopeType.PLATFORM, "platform:" + platform, 3_000, 0.003)
                    .setPlatform(platform)
                    .build());
        }
        for (int f = 0; f < FLAGS; f++) {
            String flag = "flag" + f;
            boolean regressed = (ticks + f * 89L) % cycle < 5;
            for (Cohort cohort : Cohort.values()) {
                double errors = cohort == Cohort.TREATMENT && regressed ? 0.06 : 0.004;
                windows.add(window(
                                ScopeType.FLAG_COHORT,
                                "flag:" + flag + ":" + cohort.name().toLowerCase(java.util.Locale.ROOT),
                                cohort == Cohort.TREATMENT ? 500 : 4_500,
                                errors)
                        .setFlagKey(flag)
                        .setCohort(cohort)
                        .build());
            }
        }
        minute = minute.plus(MINUTE);
        ticks++;
        return windows;
    }

    private WindowMetricsEvent.Builder window(ScopeType type, String key, long events, double errorRate) {
        long failures = Math.round(events * errorRate * (0.8 + 0.4 * random.nextDouble()));
        long syncs = events * 3 / 4;
        long uploads = events - syncs;
        long syncFailures = failures * 3 / 4;
        long uploadFailures = failures - syncFailures;
        return WindowMetricsEvent.newBuilder()
                .setScopeType(type)
                .setScopeKey(key)
                .setWindowKind(WindowKind.TUMBLING)
                .setWindowStart(minute)
                .setWindowEnd(minute.plus(MINUTE))
                .setEmittedAt(minute.plus(MINUTE).plusSeconds(5))
                .setFirstEventTime(minute.plusMillis(random.nextInt(1000)))
                .setEventCount(events)
                .setSuccessCount(events - failures)
                .setFailureCount(failures)
                .setSuccessRate((double) (events - failures) / events)
                .setErrorRate((double) failures / events)
                .setSyncCount(syncs)
                .setSyncFailureCount(syncFailures)
                .setSyncSuccessRate((double) (syncs - syncFailures) / syncs)
                .setUploadCount(uploads)
                .setUploadFailureCount(uploadFailures)
                .setUploadFailureRate((double) uploadFailures / uploads)
                .setDurationP50Ms(800 + random.nextDouble() * 200)
                .setDurationP95Ms(2_500 + random.nextDouble() * 1_000)
                .setDurationP99Ms(5_000 + random.nextDouble() * 2_000)
                .setStorageUsedPctMax(40 + random.nextDouble() * 20)
                .setPendingMutationsMax((long) random.nextInt(100))
                .setFailedMutationsMax((long) random.nextInt(3))
                .setQuotaExceededCount(random.nextInt(2))
                .setSyncQueueLengthMax((long) random.nextInt(10))
                .setDistinctClients(events / 10);
    }

    /** Kafka key of a window, as metrics-ingest keys it. */
    static String key(WindowMetricsEvent window) {
        return window.getFlagKey() != null ? "flag:" + window.getFlagKey() : window.getScopeKey();
    }
}
