package dev.rollguard.ingest.topology;

import dev.rollguard.ingest.domain.AggregateLimits;
import dev.rollguard.ingest.domain.EventExemplar;
import dev.rollguard.ingest.domain.Observation;
import dev.rollguard.ingest.domain.ScopeKeys;
import dev.rollguard.ingest.domain.Violation;
import dev.rollguard.ingest.domain.WindowAggregate;
import dev.rollguard.ingest.mapping.ObservationMapper;
import dev.rollguard.ingest.service.CohortAssigner;
import dev.rollguard.ingest.service.EvaluationKeyWatch;
import dev.rollguard.ingest.service.ExposureKeyMismatches;
import dev.rollguard.ingest.service.FlagDirectory;
import dev.rollguard.ingest.service.MissingContextAttributes;
import dev.rollguard.ingest.service.TelemetryValidator;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.FlagExposure;
import dev.rollguard.schemas.event.Platform;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.event.UploadEvent;
import dev.rollguard.schemas.trace.TraceContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * The one processor of each telemetry event on its input task, and the first of the two aggregation stages. An event
 * is, in this order: validated ({@link TelemetryValidator}, against the wall clock); counted only the first time its
 * id is seen within the dedup horizon ({@link DedupStore}); refused as late when its window has already closed on this
 * task ({@link Lateness}); and otherwise fanned out to its scopes (one per flag cohort from {@link CohortAssigner}, its
 * table, its platform, global) and added to the partial window of each scope in this input task's {@link
 * PartialWindowStore}. An invalid or late event is forwarded as a {@link Refused} with the dead-letter headers set
 * here, where the record's metadata is still known; an accepted one forwards nothing of its own. Doing all of it in
 * one node spares each event the hand-overs between nodes (bench/results/metrics-ingest.md, "Notes of 7 December").
 *
 * <p>Every {@code flushInterval} of wall-clock time, before every watermark it announces, and when the task holds more
 * than {@link #MAX_PARTIALS} partials, the partials are forwarded keyed by scope (so they are repartitioned by scope)
 * and dropped; the second stage ({@link WindowMergeProcessor}) merges the partials of every task into the scope's
 * window. The ids of the dedup store are changelogged a batch per commit, and under exactly-once its batches commit
 * with the input offsets, so a restart neither forgets an id nor remembers one whose event was not counted.
 *
 * <p>So one event costs a few in-memory updates, and the repartition topic carries a record per scope, window and
 * flush instead of one per scope and event.
 *
 * <p>The task also announces its progress: its watermark is the end of the latest window whose end plus the grace
 * period the stream time of each of its input topics has passed (events in that window or before are late here, see
 * {@link Lateness}); the sync and the upload partition of a task are read at their own pace, so each keeps
 * its own stream time and the slower one holds the watermark back.
 * Whenever the watermark moves, the task forwards its partials and then a tick ({@link #TICK} with its partition)
 * that {@link TickPartitioner} sends to every partition of the merge; a merge task closes a window only once every
 * input task has announced a watermark at or past its end. A task whose stream time has not moved for {@code
 * idleTimeout} of wall-clock time (no events, or only late ones) lets its watermark follow the wall clock instead, so
 * that silence closes windows too: end plus grace plus the idle timeout after the last event.
 *
 * <p>Idle time is wall-clock time during which the instance reached the Kafka broker ({@link BrokerReachability}):
 * while the broker is unreachable no partition can make progress, and the events that clients queue meanwhile arrive
 * once it is back. So an outage neither counts as silence nor moves the wall clock's stand-in: the windows of the
 * outage close the idle timeout after the broker is back at the earliest, whatever the outage lasted.
 *
 * <p>Idle time counts from the task's first record after it started (on this instance): by then Kafka Streams has
 * fetched every input partition of the task up to a known lag (its task idling, {@code max.task.idle.ms} 0, KIP-695)
 * and reads them in timestamp order. A task that has not read a record since it started waits {@link
 * #STARTUP_IDLE_FACTOR} idle timeouts before the wall clock stands in: after a restart or a rebalance its backlog may
 * not be fetched yet (Kafka Streams fetches a task's partitions within seconds of its assignment; the margin covers a
 * CPU-starved instance), and a backlog must delay windows, never turn late, however long the restart took. A task
 * whose partitions have no events at all holds the windows of the others back that long after it starts.
 */
final class TelemetryProcessor implements Processor<String, SpecificRecord, String, Object> {

    static final String STORE = "partial-windows";
    /**
     * Key prefix of the watermark ticks, {@code ~tick|<input partition>}: no scope key starts with {@code ~}. The
     * record time of a tick is the watermark.
     */
    static final String TICK = "~tick";
    /** Partials kept before a flush is forced: scopes times open windows, so only reached by very many scopes. */
    static final int MAX_PARTIALS = 20_000;
    /** How many idle timeouts a task that has not read a record since it started waits before it counts as idle. */
    static final int STARTUP_IDLE_FACTOR = 3;
    /** Wall-clock time not yet known: the task has not run since it was initialised. */
    private static final long NOT_RUN = Long.MIN_VALUE;
    /** Index of telemetry.sync among the task's input topics. */
    static final int SYNC = 0;
    /** Index of telemetry.upload among the task's input topics. */
    static final int UPLOAD = 1;

    private final TelemetryValidator validator;
    private final Lateness lateness;
    private final CohortAssigner assigner;
    private final FlagDirectory directory;
    private final WindowClock clock;
    private final Duration flushInterval;
    private final long idleMs;
    /** The clock of idle time: wall-clock time during which the broker was reachable. */
    private final BrokerReachability reachability;

    private final AggregateLimits limits;
    private final List<String> scopes = new ArrayList<>(8);
    /** The flag cohort scopes of the current event that are under rollout: their stage and client state key. */
    private final List<GuardedScope> guarded = new ArrayList<>(4);
    /**
     * The partials of the window of the latest event, by scope, with their keys ({@code <window start>|<scope>}):
     * an event of the window updates a scope's partial in place, looked up and marked changed in the store only once
     * per commit ({@link LiveStore#epoch}), not once per event. Cleared when the window changes and at each flush,
     * so it never holds more entries than the partials.
     */
    private final Map<String, PartialSlot> partialSlots = new HashMap<>();

    private long keysWindow = Long.MIN_VALUE;
    /** The platform scope keys, made once. */
    private final Map<Platform, String> platformScopes = new EnumMap<>(Platform.class);
    /** For each guarded scope of the current event: its cohort prefix, its client-level sums, whether tracked. */
    private String[] cohortPrefixes = new String[8];

    private double[][] cohortSums = new double[8][];
    private boolean[] cohortTracked = new boolean[8];
    /** The partial window of each of the current event's scopes, in the order of {@link #scopes}. */
    private final List<WindowAggregate> scopePartials = new ArrayList<>(8);
    /**
     * By flag key, the keys of the flag's cohorts in its latest stage seen: only flags under rollout (which the flag
     * directory knows), so no more entries than flags.
     */
    private final Map<String, StageKeys> stageKeys = new HashMap<>();

    private final long clientStateTtlMs;
    /** Clients tracked per flag, stage and cohort ({@link ClientStageStore}). */
    private final int maxClientsPerCohort;

    private ProcessorContext<String, Object> context;
    private DedupStore seen;
    private PartialWindowStore partials;
    private ClientStageStore clients;
    private String tickKey;
    /** Per input topic: wall-clock time at which its stream time last moved, or the task read its first record. */
    private final long[] lastProgressWallMs = new long[2];
    /** Wall-clock time at which the task first ran (processed or punctuated) since it was initialised. */
    private long firstRunWallMs = NOT_RUN;
    /** Whether the task read a record since it was initialised; until then it may not have fetched its backlog. */
    private boolean readHere;

    private final String syncTopic;

    TelemetryProcessor(
            TelemetryValidator validator,
            FlagDirectory directory,
            String syncTopic,
            WindowClock clock,
            Duration flushInterval,
            Duration idle,
            BrokerReachability reachability,
            Duration clientStateTtl,
            int maxClientsPerCohort,
            AggregateLimits limits) {
        this.validator = validator;
        this.lateness = new Lateness(clock);
        this.directory = directory;
        this.syncTopic = syncTopic;
        this.assigner = new CohortAssigner(directory);
        this.clientStateTtlMs = clientStateTtl.toMillis();
        if (maxClientsPerCohort < 1) {
            throw new IllegalArgumentException("guard.max-clients-per-cohort must be at least 1");
        }
        this.maxClientsPerCohort = maxClientsPerCohort;
        this.clock = clock;
        this.flushInterval = flushInterval;
        this.idleMs = idle.toMillis();
        this.reachability = reachability;
        this.limits = limits;
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
        this.context = context;
        this.seen = context.getStateStore(DedupStore.STORE);
        this.partials = context.getStateStore(STORE);
        this.clients = context.getStateStore(ClientStageStore.STORE);
        this.tickKey = tickKey(context.taskId().partition());
        // Kafka Streams sets the context's wall-clock time only when the task processes or punctuates (it reads 0 in
        // init): the task's idle time starts from the first of those, so a long restart never counts as idle time.
        firstRunWallMs = NOT_RUN;
        readHere = false;
        context.schedule(flushInterval, PunctuationType.WALL_CLOCK_TIME, this::punctuate);
        context.schedule(CLIENT_STATE_SWEEP, PunctuationType.WALL_CLOCK_TIME, now -> sweepClients());
    }

    /** How often the client states of ended stages and of long-gone clients are dropped. */
    static final Duration CLIENT_STATE_SWEEP = Duration.ofMinutes(1);

    /**
     * Drops the client states of stages that ended and of clients not seen for the TTL (a client back after that
     * counts as a new client of the stage), both judged in event time at the task's watermark: the events still to
     * come are all at or after it, while a backlog (after a restart, or a slow task) may still carry events of a stage
     * that the wall clock has left. Judged by the wall clock, such a stage's clients were dropped every minute and
     * came back as new clients with the backlog's next events, counting one client several times in the stage's sums.
     */
    private void sweepClients() {
        long at = partials.watermark();
        if (at == Long.MIN_VALUE) {
            return;
        }
        clients.sweep(key -> stageEnded(key, at), (key, state) -> state.lastSeen() < at - clientStateTtlMs);
    }

    /** Whether the stage of a client state key ended by event time {@code at}: a later flag version is in force. */
    private boolean stageEnded(String key, long at) {
        String flag = ClientStageStore.flagKey(key);
        long stage = ClientStageStore.stageVersion(key);
        FlagChangedEvent inForce = directory.asOf(flag, at);
        return inForce != null && inForce.getVersion() > stage && directory.stageVersionAt(flag, at) != stage;
    }

    static String tickKey(int partition) {
        return TICK + "|" + partition;
    }

    @Override
    public void process(Record<String, SpecificRecord> record) {
        SpecificRecord event = record.value();
        if (event == null) {
            // A tombstone on a telemetry topic carries nothing to count; it is not an error either.
            return;
        }
        SyncEvent sync = event instanceof SyncEvent s ? s : null;
        String kind = sync != null ? "sync" : "upload";
        Violation invalid = validator.validate(event, context.currentSystemTimeMs());
        if (invalid != null) {
            TopologyMetrics.event(kind, "invalid");
            refuse(record, DeadLetterHeaders.STAGE_VALIDATION, invalid);
            return;
        }
        String eventId = sync != null ? sync.getEventId() : ((UploadEvent) event).getEventId();
        if (!seen.firstSeen(DedupBatch.id(sync != null ? 's' : 'u', eventId), record.timestamp())) {
            TopologyMetrics.event(kind, "duplicate");
            return;
        }
        TopologyMetrics.event(kind, "accepted");
        long eventTime = (sync != null ? sync.getEventTime() : ((UploadEvent) event).getEventTime()).toEpochMilli();
        Violation late = lateness.check(eventTime, partials.watermark());
        if (late != null) {
            TopologyMetrics.lateEvent(kind);
            refuse(record, DeadLetterHeaders.STAGE_LATENESS, late);
            return;
        }
        add(record);
    }

    /**
     * Forwards a refused event towards the dead-letter topic, with the headers that say where and why it was refused.
     */
    private void refuse(Record<String, SpecificRecord> record, String stage, Violation violation) {
        TopologyMetrics.deadLettered(stage, violation.code());
        var metadata = context.recordMetadata().orElse(null);
        DeadLetterHeaders.write(
                record.headers(),
                stage,
                violation.code(),
                violation.message(),
                metadata == null ? null : metadata.topic(),
                metadata == null ? -1 : metadata.partition(),
                metadata == null ? -1 : metadata.offset());
        context.forward(record.withValue(new Refused(record.value(), violation)));
    }

    /** Adds a valid, first-seen, on-time event to the partials of its scopes, and moves the task's stream time. */
    private void add(Record<String, SpecificRecord> record) {
        Observation observation = observe(record.value(), scopes);
        long windowStart = clock.windowStart(observation.eventTime());
        if (windowStart != keysWindow) {
            partialSlots.clear();
            keysWindow = windowStart;
        }
        EventExemplar exemplar = observation.success() ? null : exemplar(record, observation);
        scopePartials.clear();
        for (String scope : scopes) {
            PartialSlot slot = partialSlots.get(scope);
            if (slot == null) {
                slot = new PartialSlot(windowStart + "|" + scope);
                partialSlots.put(scope, slot);
            }
            WindowAggregate partial = slot.partial(partials).add(observation, limits);
            if (exemplar != null) {
                partial.exemplar(exemplar);
            }
            scopePartials.add(partial);
        }
        if (!guarded.isEmpty()) {
            // The client's states move with its event, and the changes of the client-level sums go to the partials;
            // so do the retractions of the clients that a cohort's sample drops to admit this one.
            int n = guarded.size();
            if (cohortPrefixes.length < n) {
                cohortPrefixes = new String[2 * n];
                cohortSums = new double[2 * n][];
                cohortTracked = new boolean[2 * n];
            }
            for (int k = 0; k < n; k++) {
                GuardedScope scope = guarded.get(k);
                cohortPrefixes[k] = scope.cohort();
                cohortSums[k] = scopePartials.get(scope.index()).clientMomentsOf(scope.stage());
            }
            clients.count(
                    guarded.get(0).clientId(),
                    cohortPrefixes,
                    cohortSums,
                    n,
                    observation,
                    maxClientsPerCohort,
                    cohortTracked);
            for (int k = 0; k < n; k++) {
                if (!cohortTracked[k]) {
                    TopologyMetrics.sampledOut(ClientStageStore.flagKey(cohortPrefixes[k]));
                }
            }
        }
        // The record time is the event time, or the broker's time when the client's clock runs ahead. Each input
        // topic keeps its own stream time: the task reads its sync and upload partitions at their own pace (after a
        // restart one may be fetched well before the other), and the slower one must hold the watermark back.
        int topic = context.recordMetadata()
                .map(m -> syncTopic.equals(m.topic()) ? SYNC : UPLOAD)
                .orElse(SYNC);
        long now = context.currentSystemTimeMs();
        if (!readHere) {
            readHere = true;
            Arrays.fill(lastProgressWallMs, now);
        }
        if (record.timestamp() > partials.streamTime(topic)) {
            partials.streamTime(topic, record.timestamp());
            lastProgressWallMs[topic] = now;
            announce(watermark(now));
        }
        if (partials.size() > MAX_PARTIALS) {
            flush();
        }
    }

    private void punctuate(long now) {
        flush();
        announce(watermark(now));
    }

    /**
     * The task's watermark: the lowest of its input topics' watermarks, each the end of the latest window its stream
     * time closed. A topic that never had an event in this task, or whose stream time has not moved for the idle
     * timeout, holds nothing back (its next events are judged by the others' progress). When no topic holds, the
     * wall clock stands in once every topic is idle (as if the stream time were where it stood when the task last
     * heard of the present), so that silence closes windows too. Idle time, and the idle timeout the stand-in lags
     * the present by, are counted in reachable time: a broker outage stops both.
     */
    private long watermark(long now) {
        long low = Long.MAX_VALUE;
        boolean holding = false;
        boolean allIdle = true;
        long progressed = Long.MIN_VALUE;
        if (firstRunWallMs == NOT_RUN) {
            firstRunWallMs = now;
        }
        for (int topic = SYNC; topic <= UPLOAD; topic++) {
            boolean idle = readHere
                    ? reachability.reachableMs(lastProgressWallMs[topic], now) >= idleMs
                    : reachability.reachableMs(firstRunWallMs, now) >= STARTUP_IDLE_FACTOR * idleMs;
            allIdle &= idle;
            long streamTime = partials.streamTime(topic);
            if (streamTime == Long.MIN_VALUE) {
                continue;
            }
            long closed = clock.closedBy(streamTime);
            progressed = Math.max(progressed, closed);
            if (!idle) {
                holding = true;
                low = Math.min(low, closed);
            }
        }
        if (holding) {
            return low;
        }
        long present = allIdle ? reachability.reachableAgo(now, idleMs) : Long.MIN_VALUE;
        return present == Long.MIN_VALUE ? progressed : Math.max(progressed, clock.closedBy(present));
    }

    /** Announces {@code watermark} to every merge task if it is newer than the last one, after the partials. */
    private void announce(long watermark) {
        if (watermark <= partials.watermark()) {
            return;
        }
        flush();
        partials.watermark(watermark);
        context.forward(new Record<>(tickKey, new WindowAggregate(limits), watermark));
    }

    /** Forwards every partial, keyed by scope, timed by its window's start. */
    private void flush() {
        partialSlots.clear();
        List<KeyValue<String, WindowAggregate>> all = partials.drain();
        for (KeyValue<String, WindowAggregate> partial : all) {
            int bar = partial.key.indexOf('|');
            long windowStart = Long.parseLong(partial.key.substring(0, bar));
            context.forward(new Record<>(partial.key.substring(bar + 1), partial.value, windowStart));
        }
    }

    /**
     * A failed event as an exemplar, when its record headers carry a request id or trace context (set by the HTTP
     * intake, or by a producer that speaks Kafka); null otherwise.
     */
    private static EventExemplar exemplar(Record<String, SpecificRecord> record, Observation observation) {
        String requestId = TraceContext.requestIdIn(record.headers());
        String traceId = TraceContext.traceIdIn(record.headers());
        if (requestId == null && traceId == null) {
            return null;
        }
        String eventId =
                record.value() instanceof SyncEvent s ? s.getEventId() : ((UploadEvent) record.value()).getEventId();
        return new EventExemplar(eventId, observation.eventTime(), requestId, traceId);
    }

    /** The event as an observation; {@code scopes} receives the scope keys it counts in. */
    private Observation observe(SpecificRecord event, List<String> scopes) {
        Observation observation;
        List<FlagExposure> exposures;
        CohortAssigner.Subject subject;
        if (event instanceof SyncEvent s) {
            observation = ObservationMapper.fromSync(s);
            exposures = s.getExposures();
            subject = new CohortAssigner.Subject(
                    s.getUserId(), s.getClientId(), s.getPlatform(), s.getAppVersion(), s.getContext());
        } else {
            UploadEvent u = (UploadEvent) event;
            observation = ObservationMapper.fromUpload(u);
            exposures = u.getExposures();
            subject = new CohortAssigner.Subject(
                    u.getUserId(), u.getClientId(), u.getPlatform(), u.getAppVersion(), u.getContext());
        }
        String clientId = subject.clientId();
        Platform platform = subject.platform();
        CohortAssigner.Result cohorts = assigner.assign(exposures, subject, observation.eventTime());
        TopologyMetrics.unresolvedExposures(cohorts.unresolvedExposures());
        TopologyMetrics.targetedSubjects(cohorts.targeted());
        cohorts.keyMismatches().forEach(ExposureKeyMismatches.GLOBAL::record);
        EvaluationKeyWatch.check(cohorts.assignments(), subject.userId(), clientId, observation.eventTime());
        cohorts.missingAttributes().forEach(m -> MissingContextAttributes.GLOBAL.record(m.flagKey(), m.attribute()));
        TopologyMetrics.cohortScopes(cohorts.assignments().size());
        scopes.clear();
        guarded.clear();
        for (var assignment : cohorts.assignments()) {
            long stage = directory.stageVersionAt(assignment.flagKey(), observation.eventTime());
            if (stage < 0) {
                scopes.add(assignment.scopeKey());
                continue;
            }
            String scope;
            String cohort;
            if (assignment.variant() == null) {
                // A flag under rollout: its scope keys and state prefixes are made once per stage, not per event.
                StageKeys keys = stageKeys.get(assignment.flagKey());
                if (keys == null || keys.stage != stage) {
                    keys = new StageKeys(assignment.flagKey(), stage);
                    stageKeys.put(keys.flagKey, keys);
                }
                boolean treated = assignment.cohort() == Cohort.TREATMENT;
                scope = treated ? keys.treatmentScope : keys.controlScope;
                cohort = treated ? keys.treatmentPrefix : keys.controlPrefix;
            } else {
                scope = assignment.scopeKey();
                cohort = ClientStageStore.cohort(
                        assignment.flagKey(), stage, assignment.cohort().name() + ":" + assignment.variant());
            }
            guarded.add(new GuardedScope(scopes.size(), stage, cohort, clientId));
            scopes.add(scope);
        }
        if (observation.table() != null) {
            scopes.add(ScopeKeys.table(observation.table()));
        }
        scopes.add(platformScopes.computeIfAbsent(platform, ScopeKeys::platform));
        scopes.add(ScopeKeys.GLOBAL);
        return observation;
    }

    /**
     * A flag cohort scope under rollout: its place among the event's scopes, its stage, the key prefix of its cohort's
     * client states, the client.
     */
    private record GuardedScope(int index, long stage, String cohort, String clientId) {}

    /** The scope keys and client state prefixes of a flag's two cohorts in one stage. */
    private static final class StageKeys {
        final String flagKey;
        final long stage;
        final String treatmentScope;
        final String controlScope;
        final String treatmentPrefix;
        final String controlPrefix;

        StageKeys(String flagKey, long stage) {
            this.flagKey = flagKey;
            this.stage = stage;
            this.treatmentScope = ScopeKeys.flag(flagKey, Cohort.TREATMENT);
            this.controlScope = ScopeKeys.flag(flagKey, Cohort.CONTROL);
            this.treatmentPrefix = ClientStageStore.cohort(flagKey, stage, Cohort.TREATMENT.name());
            this.controlPrefix = ClientStageStore.cohort(flagKey, stage, Cohort.CONTROL.name());
        }
    }

    /** A scope's partial of the current window, kept between events while the store's epoch stays the same. */
    private static final class PartialSlot {
        final String key;
        private WindowAggregate partial;
        private long epoch = Long.MIN_VALUE;

        PartialSlot(String key) {
            this.key = key;
        }

        /** The partial, marked changed for the next commit; looked up again once the store committed or changed. */
        WindowAggregate partial(PartialWindowStore store) {
            if (epoch != store.epoch()) {
                partial = store.partial(key);
                store.touch(key);
                epoch = store.epoch();
            }
            return partial;
        }
    }
}
