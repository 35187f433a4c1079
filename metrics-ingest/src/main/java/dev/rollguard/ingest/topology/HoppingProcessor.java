package dev.rollguard.ingest.topology;

import dev.rollguard.ingest.domain.AggregateLimits;
import dev.rollguard.ingest.domain.HoppingParts;
import dev.rollguard.ingest.domain.ScopeKeys;
import dev.rollguard.ingest.domain.WindowAggregate;
import dev.rollguard.ingest.mapping.WindowMetricsMapper;
import dev.rollguard.ingest.service.FlagDirectory;
import dev.rollguard.schemas.event.WindowKind;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Hopping windows built from the closed tumbling windows instead of aggregating every event again: a hopping window
 * of size H advancing by A (both multiples of the tumbling size, windows starting at multiples of A like Kafka
 * Streams' own hopping windows) is the merge of the tumbling windows it covers, which DDSketch and the other parts
 * of a {@link WindowAggregate} allow. Each event then updates one window instead of H / A + 1.
 *
 * <p>A hopping window is emitted when it is complete: when the tumbling window of its scope ending with it closes,
 * or else when any later tumbling window closes (the merge before this processor releases windows in end order). Each is emitted once: the end of the last one is kept per scope, in the changelogged store. Windows
 * without any event are not emitted, as with the tumbling windows.
 */
final class HoppingProcessor implements Processor<Windowed<String>, WindowAggregate, String, WindowMetricsEvent> {

    static final String STORE = "hopping-parts";

    private final long size;
    private final long advance;
    private final AggregateLimits limits;
    private final FlagDirectory directory;
    /** The latest end of a tumbling window received; after a restart it is rebuilt from the next windows. */
    private long watermark = Long.MIN_VALUE;

    private ProcessorContext<String, WindowMetricsEvent> context;
    private KeyValueStore<String, HoppingParts> store;

    HoppingProcessor(Duration size, Duration advance, AggregateLimits limits, FlagDirectory directory) {
        this.size = size.toMillis();
        this.advance = advance.toMillis();
        this.limits = limits;
        this.directory = directory;
    }

    @Override
    public void init(ProcessorContext<String, WindowMetricsEvent> context) {
        this.context = context;
        this.store = context.getStateStore(STORE);
    }

    @Override
    public void process(Record<Windowed<String>, WindowAggregate> record) {
        if (record.value() == null) {
            return;
        }
        long end = record.key().window().end();
        // An expected scope's empty window only tells that time moved: hopping windows are made of events.
        if (record.value().eventCount() > 0) {
            String scope = record.key().key();
            HoppingParts parts = store.get(scope);
            if (parts == null) {
                parts = new HoppingParts();
            }
            parts.parts.put(record.key().window().start(), record.value());
            // Tumbling windows of one scope arrive in order, so every part of this scope up to this end is here.
            emit(scope, parts, end);
            store.put(scope, parts.parts.isEmpty() ? null : parts);
        }
        if (end > watermark) {
            // The merge releases closed windows in end order across scopes: every scope's windows ending before
            // this one have arrived, so hopping windows ending before it are complete for every scope.
            watermark = end;
            emitClosed(end - 1);
        }
    }

    private void emitClosed(long limit) {
        List<KeyValue<String, HoppingParts>> changed = new ArrayList<>();
        try (KeyValueIterator<String, HoppingParts> all = store.all()) {
            while (all.hasNext()) {
                KeyValue<String, HoppingParts> entry = all.next();
                if (emit(entry.key, entry.value, limit)) {
                    changed.add(entry);
                }
            }
        }
        for (KeyValue<String, HoppingParts> entry : changed) {
            store.put(entry.key, entry.value.parts.isEmpty() ? null : entry.value);
        }
    }

    /** Emits the scope's hopping windows ending at or before {@code limit}; true when its parts changed. */
    private boolean emit(String scope, HoppingParts state, long limit) {
        if (state.parts.isEmpty()) {
            return true;
        }
        long firstStart = state.parts.firstKey();
        // The first window end after the earliest part: windows start at multiples of the advance.
        long end = Math.floorDiv(firstStart, advance) * advance - size + advance;
        while (end <= firstStart) {
            end += advance;
        }
        if (state.lastEmittedEnd != Long.MIN_VALUE) {
            end = Math.max(end, state.lastEmittedEnd + advance);
        }
        if (end > limit) {
            return false;
        }
        for (; end <= limit; end += advance) {
            long start = end - size;
            Map<Long, WindowAggregate> covered = state.parts.subMap(start, true, end, false);
            if (!covered.isEmpty() && !ScopeKeys.publishable(scope)) {
                TopologyMetrics.windowUnpublishable("hopping");
            } else if (!covered.isEmpty()) {
                WindowAggregate merged = new WindowAggregate(limits);
                covered.values().forEach(part -> merged.merge(part, limits));
                WindowMetricsEvent event = WindowMetricsMapper.toEvent(
                        scope, WindowKind.HOPPING, start, end, context.currentSystemTimeMs(), merged);
                PopulationComparison.stamp(event, directory);
                TopologyMetrics.windowEmitted("hopping");
                context.forward(new Record<>(ScopeKeys.recordKey(scope), event, end, new RecordHeaders()));
            }
            state.lastEmittedEnd = end;
            if (state.parts.isEmpty() || state.parts.lastKey() < start) {
                break;
            }
        }
        // Parts that no later hopping window covers are dropped.
        state.parts.headMap(state.lastEmittedEnd + advance - size, false).clear();
        return true;
    }
}
