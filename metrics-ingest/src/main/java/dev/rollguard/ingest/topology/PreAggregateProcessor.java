package dev.rollguard.ingest.topology;

import dev.rollguard.ingest.domain.AggregateLimits;
import dev.rollguard.ingest.domain.Observation;
import dev.rollguard.ingest.domain.ScopeKeys;
import dev.rollguard.ingest.domain.WindowAggregate;
import dev.rollguard.ingest.mapping.ObservationMapper;
import dev.rollguard.ingest.service.CohortAssigner;
import dev.rollguard.schemas.event.FlagExposure;
import dev.rollguard.schemas.event.Platform;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.event.UploadEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * The first of the two aggregation stages. Each valid, deduplicated event fans out to its scopes (one per flag
 * cohort from {@link CohortAssigner}, its table, its platform, global) and is added to the partial window of each
 * scope in this input task's {@link PartialWindowStore}. Every {@code flushInterval} of wall-clock time, at the
 * first event of a newer window, after the event that moves stream time past a window's close, and when the task
 * holds more than {@link #MAX_PARTIALS} partials, the partials are forwarded keyed by scope (so they are repartitioned by scope) and dropped; the second stage merges the partials
 * of every task into the scope's window.
 *
 * <p>So one event costs a few in-memory updates, and the repartition topic carries a record per scope, window and
 * flush instead of one per scope and event. A partial's record time is the latest event time in it, which lies in
 * its window, so the second stage puts it in the right window and advances its stream time like the events did.
 * Flushing at the first event of a newer window keeps a window's partials ahead of anything that could close it:
 * another task's partials close a window at the second stage only when that task is ahead in event time by more
 * than the grace period, as with events forwarded one by one.
 *
 * <p>When this task's stream time passes a window's close, a tick ({@link #TICK}) carries it to every partition of
 * the merge, so that every scope's window closes as stream time moves, not only when the scope has a newer event.
 *
 * <p>An event whose window has closed by the stream time of this task's valid events (end plus grace) is dropped
 * and counted in {@code rollguard.ingest.late.events}. The second stage applies the same rule to whole partials
 * with its own stream time, which other tasks' partials also advance (Kafka Streams' {@code dropped-records} metric
 * counts those).
 */
final class PreAggregateProcessor implements Processor<String, SpecificRecord, String, WindowAggregate> {

    static final String STORE = "partial-windows";
    /**
     * Key of the stream-time ticks: no scope key starts with {@code ~}. {@link TickPartitioner} sends each tick to
     * every partition of the repartition topic, and the ticks' windows are dropped once closed.
     */
    static final String TICK = "~tick";
    /** Partials kept before a flush is forced: scopes times open windows, so only reached by very many scopes. */
    static final int MAX_PARTIALS = 20_000;

    private final CohortAssigner assigner;
    private final long windowMs;
    private final long graceMs;
    private final Duration flushInterval;
    private final AggregateLimits limits;
    private final List<String> scopes = new ArrayList<>(8);

    private ProcessorContext<String, WindowAggregate> context;
    private PartialWindowStore partials;
    /**
     * The latest event time of the events this processor counted: the stream time of the valid events, which
     * unlike the input partitions' stream time no dead-lettered record moves (after a restart it starts again from
     * the next event; the second stage still drops what is late there).
     */
    private long streamTime = Long.MIN_VALUE;
    /** Start of the newest window this processor counted an event in. */
    private long newestWindow = Long.MIN_VALUE;
    /** Index of the last window whose close (end plus grace) this processor's stream time passed. */
    private long closedWindow = Long.MIN_VALUE;

    PreAggregateProcessor(
            CohortAssigner assigner, Duration window, Duration grace, Duration flushInterval, AggregateLimits limits) {
        this.assigner = assigner;
        this.windowMs = window.toMillis();
        this.graceMs = grace.toMillis();
        this.flushInterval = flushInterval;
        this.limits = limits;
    }

    @Override
    public void init(ProcessorContext<String, WindowAggregate> context) {
        this.context = context;
        this.partials = context.getStateStore(STORE);
        context.schedule(flushInterval, PunctuationType.WALL_CLOCK_TIME, now -> flush());
    }

    @Override
    public void process(Record<String, SpecificRecord> record) {
        Observation observation = observe(record.value(), scopes);
        long eventTime = observation.eventTime();
        streamTime = Math.max(streamTime, eventTime);
        long windowStart = Math.floorDiv(eventTime, windowMs) * windowMs;
        if (windowStart + windowMs + graceMs <= streamTime) {
            TopologyMetrics.lateEvent(observation.kind().name().toLowerCase(Locale.ROOT));
            return;
        }
        if (windowStart > newestWindow) {
            // The first event of a newer window: the partials of the older ones go on now, before this event
            // can move the next stage's stream time towards their close.
            flush();
            newestWindow = windowStart;
        }
        String prefix = windowStart + "|";
        for (String scope : scopes) {
            String key = prefix + scope;
            partials.partial(key).add(observation, limits);
            partials.touch(key);
        }
        long closes = Math.floorDiv(eventTime - graceMs, windowMs) - 1;
        if (closes > closedWindow) {
            // This event moves stream time past a window's close: it goes on at once, so that the window is
            // emitted without waiting for the next flush.
            closedWindow = closes;
            flush();
            tick();
        } else if (partials.size() > MAX_PARTIALS) {
            flush();
        }
    }

    /** Forwards every partial, oldest first so that no partial advances the next stage past an earlier one. */
    private void flush() {
        List<KeyValue<String, WindowAggregate>> all = partials.drain();
        all.sort(Comparator.comparingLong((KeyValue<String, WindowAggregate> p) -> p.value.latestEventTime()));
        for (KeyValue<String, WindowAggregate> partial : all) {
            String scope = partial.key.substring(partial.key.indexOf('|') + 1);
            context.forward(new Record<>(scope, partial.value, partial.value.latestEventTime()));
        }
    }

    /**
     * Sends this task's stream time, which just passed a window's close, to every partition of the merge. Stream
     * time moves on a partition only with the records reaching it: a scope with few events (a flag ramped to its
     * first users) would keep its last window open until its own next event. Only while the events are recent (not
     * while a backlog is read), where every task is about as far, so that a tick is not late where it arrives; and
     * once per window, as ticks put every partition of the merge into the transaction.
     */
    private void tick() {
        if (streamTime >= context.currentSystemTimeMs() - windowMs - graceMs) {
            context.forward(new Record<>(TICK, new WindowAggregate(limits), streamTime));
        }
    }

    /** The event as an observation; {@code scopes} receives the scope keys it counts in. */
    private Observation observe(SpecificRecord event, List<String> scopes) {
        Observation observation;
        List<FlagExposure> exposures;
        String userId;
        String clientId;
        Platform platform;
        if (event instanceof SyncEvent s) {
            observation = ObservationMapper.fromSync(s);
            exposures = s.getExposures();
            userId = s.getUserId();
            clientId = s.getClientId();
            platform = s.getPlatform();
        } else {
            UploadEvent u = (UploadEvent) event;
            observation = ObservationMapper.fromUpload(u);
            exposures = u.getExposures();
            userId = u.getUserId();
            clientId = u.getClientId();
            platform = u.getPlatform();
        }
        CohortAssigner.Result cohorts = assigner.assign(exposures, userId, clientId, observation.eventTime());
        TopologyMetrics.unresolvedExposures(cohorts.unresolvedExposures());
        scopes.clear();
        for (var assignment : cohorts.assignments()) {
            scopes.add(ScopeKeys.flag(assignment.flagKey(), assignment.cohort()));
        }
        if (observation.table() != null) {
            scopes.add(ScopeKeys.table(observation.table()));
        }
        scopes.add(ScopeKeys.platform(platform));
        scopes.add(ScopeKeys.GLOBAL);
        return observation;
    }
}
