package dev.rollguard.ingest.domain;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.DDSketches;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything one window knows about one scope. Every part merges (counts add, extremes compare, the DDSketch and
 * the distinct counter merge), so windows of several tasks or several time slices combine into one: the health
 * report merges the windows of its time range this way.
 */
public final class WindowAggregate {

    /** Largest number of bins of the duration sketch; at 1 % accuracy 1 ms .. 30 years needs about 1 200. */
    public static final int SKETCH_MAX_BINS = 2048;

    long eventCount;
    long successCount;
    long syncCount;
    long syncFailureCount;
    long uploadCount;
    long uploadFailureCount;
    long durationSum;
    long durationMin = Long.MAX_VALUE;
    long durationMax = Long.MIN_VALUE;
    long syncDurationSum;
    long syncDurationMin = Long.MAX_VALUE;
    long syncDurationMax = Long.MIN_VALUE;
    final DDSketch durations;
    double storagePctSum;
    long storagePctCount;
    double storagePctMax = -1;
    long lastStorageTime = Long.MIN_VALUE;
    long lastStorageUsedBytes = -1;
    long lastStorageQuotaBytes = -1;
    long pendingMutationsMax = -1;
    long failedMutationsMax = -1;
    long syncQueueLengthMax = -1;
    long quotaExceededCount;
    final DistinctCounter clients;
    long uploadBytes;
    long uploadDurationSum;
    long firstEventTime = Long.MAX_VALUE;
    long lastEventTime = Long.MIN_VALUE;
    final Map<String, ErrorStat> errors = new HashMap<>();
    final List<RecentError> recentErrors = new ArrayList<>();
    /** Client-level moments of the guard metrics, on flag cohort scopes under rollout; null until the first. */
    ClientMoments moments;
    /** The earliest failed events that came with a request id or trace id, earliest first; at most MAX_EXEMPLARS. */
    final List<EventExemplar> exemplars = new ArrayList<>(0);

    /** Most exemplars a window keeps: enough to follow a breach back to its requests, small on every window. */
    public static final int MAX_EXEMPLARS = 5;

    private static final Comparator<RecentError> LATEST_FIRST =
            Comparator.comparingLong(RecentError::time).reversed();

    public WindowAggregate(AggregateLimits limits) {
        this(
                DDSketches.logarithmicCollapsingLowestDense(limits.relativeAccuracy(), SKETCH_MAX_BINS),
                new DistinctCounter(limits.distinctExactUpTo()));
    }

    private WindowAggregate(DDSketch durations, DistinctCounter clients) {
        this.durations = durations;
        this.clients = clients;
    }

    /** Counts one event; returns this aggregate (Kafka Streams aggregators return the new value). */
    public WindowAggregate add(Observation o, AggregateLimits limits) {
        eventCount++;
        if (o.success()) {
            successCount++;
        }
        long d = o.durationMs();
        durationSum += d;
        durationMin = Math.min(durationMin, d);
        durationMax = Math.max(durationMax, d);
        durations.accept(d);
        if (o.kind() == TelemetryKind.SYNC) {
            syncCount++;
            syncDurationSum += d;
            syncDurationMin = Math.min(syncDurationMin, d);
            syncDurationMax = Math.max(syncDurationMax, d);
            if (!o.success()) {
                syncFailureCount++;
            }
        } else {
            uploadCount++;
            uploadBytes += o.bytes();
            uploadDurationSum += d;
            if (!o.success()) {
                uploadFailureCount++;
            }
        }
        double pct = o.storageUsedPct();
        if (pct >= 0) {
            storagePctSum += pct;
            storagePctCount++;
            storagePctMax = Math.max(storagePctMax, pct);
        }
        if (o.storageUsedBytes() >= 0 && o.eventTime() >= lastStorageTime) {
            lastStorageTime = o.eventTime();
            lastStorageUsedBytes = o.storageUsedBytes();
            lastStorageQuotaBytes = o.storageQuotaBytes();
        }
        pendingMutationsMax = Math.max(pendingMutationsMax, o.pendingMutations());
        failedMutationsMax = Math.max(failedMutationsMax, o.failedMutations());
        syncQueueLengthMax = Math.max(syncQueueLengthMax, o.syncQueueLength());
        if (o.quotaExceeded()) {
            quotaExceededCount++;
        }
        clients.add(o.clientHash());
        firstEventTime = Math.min(firstEventTime, o.eventTime());
        lastEventTime = Math.max(lastEventTime, o.eventTime());
        if (!o.success()) {
            String code = o.errorCode() == null ? Observation.UNKNOWN_ERROR : o.errorCode();
            addError(code, new ErrorStat(1, o.errorMessage(), o.eventTime()), limits);
            addRecent(new RecentError(o.eventTime(), o.table(), code, o.errorMessage()), limits);
        }
        return this;
    }

    /** Adds another aggregate's counts to this one. */
    public WindowAggregate merge(WindowAggregate other, AggregateLimits limits) {
        eventCount += other.eventCount;
        successCount += other.successCount;
        syncCount += other.syncCount;
        syncFailureCount += other.syncFailureCount;
        uploadCount += other.uploadCount;
        uploadFailureCount += other.uploadFailureCount;
        durationSum += other.durationSum;
        durationMin = Math.min(durationMin, other.durationMin);
        durationMax = Math.max(durationMax, other.durationMax);
        syncDurationSum += other.syncDurationSum;
        syncDurationMin = Math.min(syncDurationMin, other.syncDurationMin);
        syncDurationMax = Math.max(syncDurationMax, other.syncDurationMax);
        durations.mergeWith(other.durations);
        storagePctSum += other.storagePctSum;
        storagePctCount += other.storagePctCount;
        storagePctMax = Math.max(storagePctMax, other.storagePctMax);
        if (other.lastStorageTime >= lastStorageTime && other.lastStorageUsedBytes >= 0) {
            lastStorageTime = other.lastStorageTime;
            lastStorageUsedBytes = other.lastStorageUsedBytes;
            lastStorageQuotaBytes = other.lastStorageQuotaBytes;
        }
        pendingMutationsMax = Math.max(pendingMutationsMax, other.pendingMutationsMax);
        failedMutationsMax = Math.max(failedMutationsMax, other.failedMutationsMax);
        syncQueueLengthMax = Math.max(syncQueueLengthMax, other.syncQueueLengthMax);
        quotaExceededCount += other.quotaExceededCount;
        clients.merge(other.clients);
        uploadBytes += other.uploadBytes;
        uploadDurationSum += other.uploadDurationSum;
        firstEventTime = Math.min(firstEventTime, other.firstEventTime);
        lastEventTime = Math.max(lastEventTime, other.lastEventTime);
        other.errors.forEach((code, stat) -> addError(code, stat, limits));
        if (!other.recentErrors.isEmpty()) {
            // One stable sort keeps the same errors, in the same order, as adding them one by one.
            recentErrors.addAll(other.recentErrors);
            keepLatest(limits);
        }
        if (other.moments != null) {
            clientMoments().merge(other.moments);
        }
        other.exemplars.forEach(this::exemplar);
        return this;
    }

    /**
     * Keeps {@code exemplar} if it is among the earliest {@link #MAX_EXEMPLARS} failed events seen (an event counted
     * twice, by two merges, is kept once).
     */
    public void exemplar(EventExemplar exemplar) {
        for (EventExemplar known : exemplars) {
            if (known.eventId().equals(exemplar.eventId())) {
                return;
            }
        }
        if (exemplars.size() >= MAX_EXEMPLARS
                && EventExemplar.EARLIEST_FIRST.compare(exemplar, exemplars.get(exemplars.size() - 1)) >= 0) {
            return;
        }
        exemplars.add(exemplar);
        exemplars.sort(EventExemplar.EARLIEST_FIRST);
        if (exemplars.size() > MAX_EXEMPLARS) {
            exemplars.remove(exemplars.size() - 1);
        }
    }

    /** The exemplars, earliest first. */
    public List<EventExemplar> exemplars() {
        return List.copyOf(exemplars);
    }

    private void addError(String code, ErrorStat stat, AggregateLimits limits) {
        ErrorStat known = errors.get(code);
        if (known != null) {
            errors.put(code, known.plus(stat));
            return;
        }
        if (errors.size() >= limits.errorCodes()) {
            // Space-saving: the rarest code makes room, so frequent codes are never lost to a flood of rare ones.
            String rarest = errors.entrySet().stream()
                    .min(Comparator.comparingLong(e -> e.getValue().count()))
                    .orElseThrow()
                    .getKey();
            if (errors.get(rarest).count() > stat.count()) {
                return;
            }
            errors.remove(rarest);
        }
        errors.put(code, stat);
    }

    /**
     * Adds one error to the recent ones, which are kept newest first: inserted after every error at least as recent
     * (so of equal times the earlier added comes first, as {@link #keepLatest} sorts), and not kept when the list is
     * full of more recent ones. An event's error is usually the newest, so the search from the end is short.
     */
    private void addRecent(RecentError error, AggregateLimits limits) {
        int at = recentErrors.size();
        while (at > 0 && recentErrors.get(at - 1).time() < error.time()) {
            at--;
        }
        if (at < limits.recentErrors()) {
            recentErrors.add(at, error);
        }
        // Also cuts a list read back from a window kept under a higher limit.
        while (recentErrors.size() > limits.recentErrors()) {
            recentErrors.remove(recentErrors.size() - 1);
        }
    }

    /** Sorts the recent errors newest first (stable: of equal times, the earlier added first) and keeps the latest. */
    private void keepLatest(AggregateLimits limits) {
        recentErrors.sort(LATEST_FIRST);
        while (recentErrors.size() > limits.recentErrors()) {
            recentErrors.remove(recentErrors.size() - 1);
        }
    }

    /** The client-level moments of the guard metrics, created empty on first use. */
    public ClientMoments clientMoments() {
        if (moments == null) {
            moments = new ClientMoments();
        }
        return moments;
    }

    /** The client-level moments, or null when no event of a flag under rollout was counted. */
    public ClientMoments clientMomentsOrNull() {
        return moments;
    }

    /** The increments of one rollout stage of the client-level moments, for {@link ClientStage#add}. */
    public double[] clientMomentsOf(long stageVersion) {
        return clientMoments().stage(stageVersion);
    }

    public long eventCount() {
        return eventCount;
    }

    public long successCount() {
        return successCount;
    }

    public long failureCount() {
        return eventCount - successCount;
    }

    public long syncCount() {
        return syncCount;
    }

    public long syncFailureCount() {
        return syncFailureCount;
    }

    public long uploadCount() {
        return uploadCount;
    }

    public long uploadFailureCount() {
        return uploadFailureCount;
    }

    public Double durationMinMs() {
        return eventCount == 0 ? null : (double) durationMin;
    }

    public Double durationMaxMs() {
        return eventCount == 0 ? null : (double) durationMax;
    }

    public Double durationAvgMs() {
        return eventCount == 0 ? null : (double) durationSum / eventCount;
    }

    public Double syncDurationMinMs() {
        return syncCount == 0 ? null : (double) syncDurationMin;
    }

    public Double syncDurationMaxMs() {
        return syncCount == 0 ? null : (double) syncDurationMax;
    }

    public Double syncDurationAvgMs() {
        return syncCount == 0 ? null : (double) syncDurationSum / syncCount;
    }

    /** A duration quantile from the sketch, within the sketch's relative accuracy; null without samples. */
    public Double durationQuantileMs(double quantile) {
        return durations.isEmpty() ? null : durations.getValueAtQuantile(quantile);
    }

    /** The sketch in the DDSketch protobuf format, for consumers that merge windows. */
    public byte[] durationSketchBytes() {
        ByteBuffer buffer = durations.serialize();
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }

    public Double storageUsedPctMax() {
        return storagePctCount == 0 ? null : storagePctMax;
    }

    public Double storageUsedPctAvg() {
        return storagePctCount == 0 ? null : storagePctSum / storagePctCount;
    }

    public Long lastStorageUsedBytes() {
        return lastStorageUsedBytes < 0 ? null : lastStorageUsedBytes;
    }

    public Long lastStorageQuotaBytes() {
        return lastStorageQuotaBytes < 0 ? null : lastStorageQuotaBytes;
    }

    public Long pendingMutationsMax() {
        return pendingMutationsMax < 0 ? null : pendingMutationsMax;
    }

    public Long failedMutationsMax() {
        return failedMutationsMax < 0 ? null : failedMutationsMax;
    }

    public Long syncQueueLengthMax() {
        return syncQueueLengthMax < 0 ? null : syncQueueLengthMax;
    }

    public long quotaExceededCount() {
        return quotaExceededCount;
    }

    public long distinctClients() {
        return clients.estimate();
    }

    public long uploadBytes() {
        return uploadBytes;
    }

    /** Bytes uploaded per second of upload time; null when no upload took measurable time. */
    public Double uploadThroughputBytesPerSec() {
        return uploadDurationSum <= 0 ? null : uploadBytes * 1000.0 / uploadDurationSum;
    }

    public Long firstEventTime() {
        return eventCount == 0 ? null : firstEventTime;
    }

    /** The latest event time counted, {@link Long#MIN_VALUE} without events. */
    public long latestEventTime() {
        return lastEventTime;
    }

    /** Error codes, most frequent first. */
    public List<Map.Entry<String, ErrorStat>> topErrors() {
        return errors.entrySet().stream()
                .sorted(Comparator.comparingLong(
                                (Map.Entry<String, ErrorStat> e) -> e.getValue().count())
                        .reversed()
                        .thenComparing(Map.Entry::getKey))
                .toList();
    }

    /** Most recent errors, newest first. */
    public List<RecentError> recentErrors() {
        return List.copyOf(recentErrors);
    }

    /**
     * Everything an aggregate holds, field by field: what a codec stores, and {@link #restore} takes back. The
     * collections are read-only views; the sketch, the counter and the moments are the aggregate's own, to be read
     * only. Absent figures have their neutral values ({@link Long#MAX_VALUE} as a minimum, -1 as a maximum of
     * figures that are never negative); {@code moments} is null until the first event of a flag under rollout.
     */
    public record State(
            long eventCount,
            long successCount,
            long syncCount,
            long syncFailureCount,
            long uploadCount,
            long uploadFailureCount,
            long durationSum,
            long durationMin,
            long durationMax,
            long syncDurationSum,
            long syncDurationMin,
            long syncDurationMax,
            long storagePctCount,
            long lastStorageTime,
            long lastStorageUsedBytes,
            long lastStorageQuotaBytes,
            long pendingMutationsMax,
            long failedMutationsMax,
            long syncQueueLengthMax,
            long quotaExceededCount,
            long uploadBytes,
            long uploadDurationSum,
            long firstEventTime,
            long lastEventTime,
            double storagePctSum,
            double storagePctMax,
            DDSketch durations,
            DistinctCounter clients,
            Map<String, ErrorStat> errors,
            List<RecentError> recentErrors,
            ClientMoments moments,
            List<EventExemplar> exemplars) {}

    /** This aggregate's state, for storing it. */
    public State state() {
        return new State(
                eventCount,
                successCount,
                syncCount,
                syncFailureCount,
                uploadCount,
                uploadFailureCount,
                durationSum,
                durationMin,
                durationMax,
                syncDurationSum,
                syncDurationMin,
                syncDurationMax,
                storagePctCount,
                lastStorageTime,
                lastStorageUsedBytes,
                lastStorageQuotaBytes,
                pendingMutationsMax,
                failedMutationsMax,
                syncQueueLengthMax,
                quotaExceededCount,
                uploadBytes,
                uploadDurationSum,
                firstEventTime,
                lastEventTime,
                storagePctSum,
                storagePctMax,
                durations,
                clients,
                Collections.unmodifiableMap(errors),
                Collections.unmodifiableList(recentErrors),
                moments,
                Collections.unmodifiableList(exemplars));
    }

    /**
     * The aggregate a stored state describes; it takes over the state's sketch, counter and moments, and keeps the
     * error codes, recent errors and exemplars in the order given.
     */
    public static WindowAggregate restore(State s) {
        WindowAggregate a = new WindowAggregate(s.durations(), s.clients());
        a.eventCount = s.eventCount();
        a.successCount = s.successCount();
        a.syncCount = s.syncCount();
        a.syncFailureCount = s.syncFailureCount();
        a.uploadCount = s.uploadCount();
        a.uploadFailureCount = s.uploadFailureCount();
        a.durationSum = s.durationSum();
        a.durationMin = s.durationMin();
        a.durationMax = s.durationMax();
        a.syncDurationSum = s.syncDurationSum();
        a.syncDurationMin = s.syncDurationMin();
        a.syncDurationMax = s.syncDurationMax();
        a.storagePctCount = s.storagePctCount();
        a.lastStorageTime = s.lastStorageTime();
        a.lastStorageUsedBytes = s.lastStorageUsedBytes();
        a.lastStorageQuotaBytes = s.lastStorageQuotaBytes();
        a.pendingMutationsMax = s.pendingMutationsMax();
        a.failedMutationsMax = s.failedMutationsMax();
        a.syncQueueLengthMax = s.syncQueueLengthMax();
        a.quotaExceededCount = s.quotaExceededCount();
        a.uploadBytes = s.uploadBytes();
        a.uploadDurationSum = s.uploadDurationSum();
        a.firstEventTime = s.firstEventTime();
        a.lastEventTime = s.lastEventTime();
        a.storagePctSum = s.storagePctSum();
        a.storagePctMax = s.storagePctMax();
        s.errors().forEach(a.errors::put);
        a.recentErrors.addAll(s.recentErrors());
        a.moments = s.moments();
        a.exemplars.addAll(s.exemplars());
        return a;
    }
}
