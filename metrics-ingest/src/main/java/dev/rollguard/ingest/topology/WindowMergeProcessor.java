package dev.rollguard.ingest.topology;

import dev.rollguard.ingest.domain.AggregateLimits;
import dev.rollguard.ingest.domain.ScopeKeys;
import dev.rollguard.ingest.domain.WindowAggregate;
import dev.rollguard.ingest.service.FlagDirectory;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.VariantWeight;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.kstream.internals.TimeWindow;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.TimestampedWindowStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;

/**
 * The second aggregation stage: merges the partial windows of every input task into each scope's tumbling window,
 * and closes windows on a low watermark.
 *
 * <p>Every input task announces its watermark with ticks sent to every partition of the merge ({@link
 * TelemetryProcessor}); a tick follows that task's partials on each partition, so when it arrives every partial
 * of that task up to the watermark has been merged. The merge keeps the latest watermark of each input partition in
 * a changelogged store and closes a window only when the lowest of them, over all {@code inputPartitions}, has
 * reached its end. A restarted, rebalanced, lagging or overloaded input task therefore delays windows; it cannot make
 * its own on-time events late. Closed windows are emitted in end order, once each (the end up to which windows were
 * emitted is stored with them), and stay in the window store for the health report.
 *
 * <p>With every window it closes, the merge also emits an empty window for each scope it owns that was expected and
 * had no event: global, and both cohorts of every flag under rollout. Silence is then visible downstream as zero
 * counts, not as an absence that looks like a delay.
 *
 * <p>A partial for a window already closed here (only possible when an input task lost its announced progress) is
 * merged into the stored window, so the health report is corrected, and counted in {@code
 * rollguard.ingest.late.events} with {@code stage=merge}; the published window is not repeated.
 */
final class WindowMergeProcessor implements Processor<String, WindowAggregate, Windowed<String>, WindowAggregate> {

    static final String WATERMARKS_STORE = "merge-watermarks";
    /** Key of the end up to which windows were emitted, in {@link #WATERMARKS_STORE}. */
    private static final String EMITTED_KEY = "~emitted";
    /** Key of the start of the first window for which expected-but-empty windows are emitted. */
    private static final String SINCE_KEY = "~since";
    /** Expected-but-empty windows are emitted for at most this many of the latest windows that one advance closes. */
    static final int MAX_EMPTY_WINDOWS_PER_ADVANCE = 12;
    /** Open windows kept decoded ({@link #open}); beyond, the least recently merged is read from the store again. */
    static final int MAX_OPEN_DECODED = 1024;

    private final WindowClock clock;
    private final int inputPartitions;
    private final long retentionMs;
    private final FlagDirectory directory;
    private final AggregateLimits limits;
    /** Whether this partition owns a scope, per scope key seen. */
    private final Map<String, Boolean> owned = new HashMap<>();
    /**
     * The windows that partials were merged into and that are not closed yet, decoded, each as it was last put into
     * the window store, least recently merged first. Every flush of every input task brings a partial for each of
     * its scopes, so reading the window back from the store (and decoding it) per partial cost as much as the merge
     * itself. Only this processor writes the store; when its task is (re)initialised, after a failure or a rebalance,
     * the store is restored from its changelog and {@link #init} forgets these. A window is taken out while it is
     * merged, so a failed merge never leaves a half-merged one here.
     */
    private final Map<OpenWindow, WindowAggregate> open = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<OpenWindow, WindowAggregate> eldest) {
            return size() > MAX_OPEN_DECODED;
        }
    };
    /** The end up to which windows were emitted, as stored under {@link #EMITTED_KEY}; null until read. */
    private Long emittedEnd;

    private ProcessorContext<Windowed<String>, WindowAggregate> context;
    private TimestampedWindowStore<String, WindowAggregate> windows;
    private KeyValueStore<String, Long> watermarks;
    private int partition;

    WindowMergeProcessor(
            WindowClock clock, int inputPartitions, long retentionMs, FlagDirectory directory, AggregateLimits limits) {
        this.clock = clock;
        this.inputPartitions = inputPartitions;
        this.retentionMs = retentionMs;
        this.directory = directory;
        this.limits = limits;
    }

    @Override
    public void init(ProcessorContext<Windowed<String>, WindowAggregate> context) {
        this.context = context;
        this.windows = context.getStateStore(TelemetryTopology.TUMBLING_STORE);
        this.watermarks = context.getStateStore(WATERMARKS_STORE);
        this.partition = context.taskId().partition();
        open.clear();
        emittedEnd = null;
    }

    @Override
    public void process(Record<String, WindowAggregate> record) {
        String key = record.key();
        if (key.startsWith(TelemetryProcessor.TICK)) {
            String input = key.substring(TelemetryProcessor.TICK.length() + 1);
            Long known = watermarks.get(input);
            if (known == null || record.timestamp() > known) {
                watermarks.put(input, record.timestamp());
                advance();
            }
            return;
        }
        if (record.value() == null) {
            return;
        }
        long start = clock.windowStart(record.timestamp());
        long end = start + clock.sizeMs();
        boolean late = end <= emitted();
        OpenWindow at = new OpenWindow(key, start);
        WindowAggregate window = open.remove(at);
        if (window == null) {
            ValueAndTimestamp<WindowAggregate> stored = windows.fetch(key, start);
            window = stored == null ? new WindowAggregate(limits) : stored.value();
        }
        window.merge(record.value(), limits);
        windows.put(key, ValueAndTimestamp.make(window, end - 1), start);
        if (late) {
            TopologyMetrics.lateAtMerge(ScopeKeys.type(key), record.value().eventCount());
        } else {
            open.put(at, window);
        }
    }

    /** Emits every window that the lowest watermark of the input partitions has closed since the last advance. */
    private void advance() {
        long low = Long.MAX_VALUE;
        for (int p = 0; p < inputPartitions; p++) {
            Long watermark = watermarks.get(Integer.toString(p));
            if (watermark == null) {
                return;
            }
            low = Math.min(low, watermark);
        }
        long emitted = emitted();
        if (low <= emitted) {
            return;
        }
        long size = clock.sizeMs();
        // Windows ending in (emitted, low]: starting in (emitted - size, low - size].
        long from = emitted == Long.MIN_VALUE ? low - retentionMs : Math.max(emitted - size + 1, low - retentionMs);
        long to = low - size;
        TreeMap<Long, List<KeyValue<String, WindowAggregate>>> closed = new TreeMap<>();
        if (from <= to) {
            try (var all = windows.fetchAll(Instant.ofEpochMilli(Math.max(0, from)), Instant.ofEpochMilli(to))) {
                while (all.hasNext()) {
                    KeyValue<Windowed<String>, ValueAndTimestamp<WindowAggregate>> entry = all.next();
                    closed.computeIfAbsent(entry.key.window().start(), s -> new ArrayList<>())
                            .add(KeyValue.pair(entry.key.key(), entry.value.value()));
                }
            }
        }
        Long since = watermarks.get(SINCE_KEY);
        if (since == null) {
            // The first advance: the windows before the first ones this merge watched would claim a silence that
            // nobody observed.
            since = low + -Math.floorDiv(-clock.graceMs(), size) * size;
            watermarks.put(SINCE_KEY, since);
        }
        addExpectedEmpty(closed, Math.max(since, Math.max(from, to - (MAX_EMPTY_WINDOWS_PER_ADVANCE - 1) * size)), to);
        for (Map.Entry<Long, List<KeyValue<String, WindowAggregate>>> window : closed.entrySet()) {
            long start = window.getKey();
            List<KeyValue<String, WindowAggregate>> scopes = window.getValue();
            scopes.sort(Comparator.comparing(kv -> kv.key));
            for (KeyValue<String, WindowAggregate> scope : scopes) {
                context.forward(new Record<>(
                        new Windowed<>(scope.key, new TimeWindow(start, start + size)), scope.value, start + size));
            }
        }
        watermarks.put(EMITTED_KEY, low);
        emittedEnd = low;
        // Closed windows take no more partials but late ones, which read them from the store.
        long closedUpTo = low - size;
        open.keySet().removeIf(window -> window.start() <= closedUpTo);
    }

    /**
     * Adds an empty window for every expected scope this partition owns that has none, for the windows starting in
     * [{@code from}, {@code to}].
     */
    private void addExpectedEmpty(Map<Long, List<KeyValue<String, WindowAggregate>>> closed, long from, long to) {
        long size = clock.sizeMs();
        for (long start = Math.floorDiv(from + size - 1, size) * size; start <= to; start += size) {
            List<KeyValue<String, WindowAggregate>> present = closed.computeIfAbsent(start, s -> new ArrayList<>());
            Set<String> seen = new HashSet<>();
            present.forEach(kv -> seen.add(kv.key));
            long time = start + size - 1;
            for (Map.Entry<String, String> expected : expectedScopes(time).entrySet()) {
                String scope = expected.getKey();
                if (!seen.contains(scope) && owns(scope)) {
                    WindowAggregate empty = new WindowAggregate(limits);
                    long stage = expected.getValue() == null ? -1 : directory.stageVersionAt(expected.getValue(), time);
                    if (stage >= 0) {
                        // The stage travels with the empty cohort window, so that the guard can judge a stage whose
                        // clients all fell silent (NO_DATA) instead of never hearing of it.
                        empty.clientMomentsOf(stage);
                    }
                    present.add(KeyValue.pair(scope, empty));
                }
            }
        }
    }

    /** The scopes expected to have a window at {@code time}, each with its flag (null for global). */
    private Map<String, String> expectedScopes(long time) {
        Map<String, String> scopes = new LinkedHashMap<>();
        scopes.put(ScopeKeys.GLOBAL, null);
        for (String flag : directory.underRolloutAt(time)) {
            FlagChangedEvent state = directory.asOf(flag, time);
            if (state == null || state.getVariantWeights().isEmpty()) {
                scopes.put(ScopeKeys.flag(flag, Cohort.TREATMENT), flag);
            } else {
                // Each weighted variant is its own treated cohort, compared with the control on its own.
                for (VariantWeight weight : state.getVariantWeights()) {
                    if (weight.getWeight() > 0) {
                        scopes.put(ScopeKeys.flag(flag, Cohort.TREATMENT, weight.getVariant()), flag);
                    }
                }
            }
            scopes.put(ScopeKeys.flag(flag, Cohort.CONTROL), flag);
        }
        return scopes;
    }

    /** Whether a scope's partials come to this partition: the default partitioner of the repartition by scope. */
    private boolean owns(String scope) {
        return owned.computeIfAbsent(scope, s -> {
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            return Utils.toPositive(Utils.murmur2(bytes)) % inputPartitions == partition;
        });
    }

    /** The end up to which windows were emitted: read from its store once, then kept as this processor writes it. */
    private long emitted() {
        if (emittedEnd == null) {
            Long stored = watermarks.get(EMITTED_KEY);
            emittedEnd = stored == null ? Long.MIN_VALUE : stored;
        }
        return emittedEnd;
    }

    /** A scope's tumbling window by its start. */
    private record OpenWindow(String scope, long start) {}
}
