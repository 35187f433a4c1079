package dev.rollguard.ingest.mapping;

import dev.rollguard.ingest.domain.ClientMoments;
import dev.rollguard.ingest.domain.ErrorStat;
import dev.rollguard.ingest.domain.EventExemplar;
import dev.rollguard.ingest.domain.ScopeKeys;
import dev.rollguard.ingest.domain.WindowAggregate;
import dev.rollguard.schemas.event.ClientMoment;
import dev.rollguard.schemas.event.ErrorCount;
import dev.rollguard.schemas.event.Exemplar;
import dev.rollguard.schemas.event.Platform;
import dev.rollguard.schemas.event.ScopeType;
import dev.rollguard.schemas.event.WindowKind;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import dev.rollguard.schemas.guard.GuardMetrics;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Turns a closed window's aggregate into the WindowMetricsEvent published on metrics.windows. */
public final class WindowMetricsMapper {

    /** Error codes published per window, most frequent first. */
    public static final int TOP_ERRORS = 10;

    private WindowMetricsMapper() {}

    public static WindowMetricsEvent toEvent(
            String scopeKey, WindowKind kind, long start, long end, long emittedAt, WindowAggregate a) {
        ScopeType type = ScopeKeys.type(scopeKey);
        long events = a.eventCount();
        List<ErrorCount> topErrors = a.topErrors().stream()
                .limit(TOP_ERRORS)
                .map(WindowMetricsMapper::errorCount)
                .toList();
        return WindowMetricsEvent.newBuilder()
                .setScopeType(type)
                .setScopeKey(scopeKey)
                .setFlagKey(type == ScopeType.FLAG_COHORT ? ScopeKeys.flagKey(scopeKey) : null)
                .setCohort(type == ScopeType.FLAG_COHORT ? ScopeKeys.cohort(scopeKey) : null)
                .setVariant(type == ScopeType.FLAG_COHORT ? ScopeKeys.variant(scopeKey) : null)
                .setTable(type == ScopeType.TABLE ? scopeKey.substring(ScopeKeys.TABLE_PREFIX.length()) : null)
                .setPlatform(
                        type == ScopeType.PLATFORM
                                ? Platform.valueOf(scopeKey.substring(ScopeKeys.PLATFORM_PREFIX.length()))
                                : null)
                .setWindowKind(kind)
                .setWindowStart(Instant.ofEpochMilli(start))
                .setWindowEnd(Instant.ofEpochMilli(end))
                .setEmittedAt(Instant.ofEpochMilli(emittedAt))
                .setFirstEventTime(a.firstEventTime() == null ? null : Instant.ofEpochMilli(a.firstEventTime()))
                .setEventCount(events)
                .setSuccessCount(a.successCount())
                .setFailureCount(a.failureCount())
                .setSuccessRate(ratio(a.successCount(), events))
                .setErrorRate(ratio(a.failureCount(), events))
                .setSyncCount(a.syncCount())
                .setSyncFailureCount(a.syncFailureCount())
                .setSyncSuccessRate(ratio(a.syncCount() - a.syncFailureCount(), a.syncCount()))
                .setUploadCount(a.uploadCount())
                .setUploadFailureCount(a.uploadFailureCount())
                .setUploadFailureRate(ratio(a.uploadFailureCount(), a.uploadCount()))
                .setDurationMinMs(a.durationMinMs())
                .setDurationAvgMs(a.durationAvgMs())
                .setDurationMaxMs(a.durationMaxMs())
                .setDurationP50Ms(a.durationQuantileMs(0.50))
                .setDurationP95Ms(a.durationQuantileMs(0.95))
                .setDurationP99Ms(a.durationQuantileMs(0.99))
                .setDurationSketch(events == 0 ? null : ByteBuffer.wrap(a.durationSketchBytes()))
                .setStorageUsedPctMax(a.storageUsedPctMax())
                .setStorageUsedPctAvg(a.storageUsedPctAvg())
                .setPendingMutationsMax(a.pendingMutationsMax())
                .setFailedMutationsMax(a.failedMutationsMax())
                .setQuotaExceededCount(a.quotaExceededCount())
                .setSyncQueueLengthMax(a.syncQueueLengthMax())
                .setDistinctClients(a.distinctClients())
                .setUploadBytes(a.uploadBytes())
                .setUploadThroughputBytesPerSec(a.uploadThroughputBytesPerSec())
                .setTopErrors(topErrors)
                .setClientMoments(clientMoments(a.clientMomentsOrNull()))
                .setExemplars(a.exemplars().stream()
                        .map(WindowMetricsMapper::exemplar)
                        .toList())
                .build();
    }

    private static Exemplar exemplar(EventExemplar e) {
        return Exemplar.newBuilder()
                .setEventId(e.eventId())
                .setEventTime(Instant.ofEpochMilli(e.eventTime()))
                .setRequestId(e.requestId())
                .setTraceId(e.traceId())
                .build();
    }

    /** The non-zero client-level moments, per stage and metric. */
    static List<ClientMoment> clientMoments(ClientMoments moments) {
        if (moments == null) {
            return List.of();
        }
        List<ClientMoment> result = new ArrayList<>();
        moments.stages().forEach((stage, sums) -> {
            for (int m = 0; m < GuardMetrics.COUNT; m++) {
                if (ClientMoments.zero(sums, m) && (m > 0 || !allZero(sums))) {
                    // A stage without any client data still sends one zero moment, so that its version is known.
                    continue;
                }
                int at = m * ClientMoments.WIDTH;
                result.add(ClientMoment.newBuilder()
                        .setStageVersion(stage)
                        .setMetric(GuardMetrics.name(m))
                        .setClients(Math.round(sums[at]))
                        .setSumY(sums[at + 1])
                        .setSumX(sums[at + 2])
                        .setSumYY(sums[at + 3])
                        .setSumXX(sums[at + 4])
                        .setSumXY(sums[at + 5])
                        .build());
            }
        });
        return result;
    }

    private static boolean allZero(double[] sums) {
        for (int m = 0; m < GuardMetrics.COUNT; m++) {
            if (!ClientMoments.zero(sums, m)) {
                return false;
            }
        }
        return true;
    }

    private static ErrorCount errorCount(Map.Entry<String, ErrorStat> e) {
        return ErrorCount.newBuilder()
                .setCode(e.getKey())
                .setCount(e.getValue().count())
                .setLastMessage(e.getValue().lastMessage())
                .build();
    }

    private static Double ratio(long part, long whole) {
        return whole == 0 ? null : (double) part / whole;
    }
}
