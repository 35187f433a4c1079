package dev.rollguard.ingest.topology;

import dev.rollguard.ingest.domain.WindowAggregate;
import dev.rollguard.ingest.mapping.HoppingPartsSerde;
import dev.rollguard.ingest.mapping.WindowAggregateSerde;
import dev.rollguard.ingest.service.CohortAssigner;
import dev.rollguard.ingest.service.FlagDirectory;
import dev.rollguard.ingest.service.TelemetryValidator;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.event.UploadEvent;
import dev.rollguard.schemas.event.WindowKind;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import dev.rollguard.schemas.serde.AvroSerde;
import java.time.Duration;
import java.util.function.Consumer;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.Stores;

/**
 * The telemetry pipeline:
 *
 * <ol>
 *   <li>telemetry.sync and telemetry.upload are decoded (undecodable records go to the dead-letter topic through
 *       {@link DeadLetterHandler}) and timed by their event time ({@link EventTimeExtractor});
 *   <li>one processor node takes each event through the rest of its input task's work ({@link TelemetryProcessor}),
 *       in this order: the event is validated, and an invalid one goes to the dead-letter topic with its reason and
 *       source; a duplicate within the dedup horizon is dropped ({@link DedupStore}); an event whose window has
 *       already closed on its input task goes to the dead-letter topic with the code LATE ({@link Lateness}); any
 *       other fans out to its scopes: one per flag cohort ({@link CohortAssigner} against the flags.changes global
 *       store), its table, its platform, and global, and is added to the scope's partial window of its input task;
 *   <li>what that node forwards is routed by type: the refused events to the dead-letter topic, the partials by scope
 *       to their repartition every flush interval, and each input task's watermark to every partition of the merge;
 *   <li>per scope, tumbling windows merge the partials of every task ({@link WindowMergeProcessor}); each window is
 *       emitted once, when every input task's watermark has passed its end (a low watermark), to metrics.windows,
 *       with empty windows for the expected scopes that had no event;
 *   <li>hopping windows are merged from the closed tumbling windows ({@link HoppingProcessor}).
 * </ol>
 */
public final class TelemetryTopology {

    /** Queryable store of the tumbling windows, read by the health report. */
    public static final String TUMBLING_STORE = "tumbling-windows";
    /**
     * Name of the repartition of the partial windows by scope: the topic is {@code
     * <application.id>-scope-partials-repartition}.
     */
    public static final String SCOPES_REPARTITION = "scope-partials";
    /** Queryable global store of the latest state of every flag. */
    public static final String FLAGS_STORE = FlagChangeProcessor.STORE;
    /** The node that validates, deduplicates, times and pre-aggregates each event ({@link TelemetryProcessor}). */
    static final String EVENTS_NODE = "telemetry-events";

    private TelemetryTopology() {}

    /**
     * Builds the topology; {@code directory} receives the flag versions and must not be shared between instances. Idle
     * time runs on the wall clock alone: for runs whose broker is never taken away.
     */
    public static Topology build(TopologySettings settings, FlagDirectory directory) {
        return build(settings, directory, window -> {}, BrokerReachability.always());
    }

    /**
     * Builds the topology and hands every closed tumbling window to {@code closedWindows} as it is emitted (for the
     * service's own gauges; it must be quick and must not fail); idle time of the input partitions counts only while
     * {@code reachability} says the broker was reachable.
     */
    public static Topology build(
            TopologySettings settings,
            FlagDirectory directory,
            Consumer<WindowMetricsEvent> closedWindows,
            BrokerReachability reachability) {
        checkHopping(settings);
        TopicNames topics = settings.topics();
        StreamsBuilder builder = new StreamsBuilder();
        AvroSerde<FlagChangedEvent> flagSerde = AvroSerde.of(FlagChangedEvent.class);
        builder.addGlobalStore(
                Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(FLAGS_STORE), Serdes.String(), flagSerde)
                        .withLoggingDisabled(),
                topics.flags(),
                Consumed.with(Serdes.String(), flagSerde).withName("flags-changes"),
                () -> new FlagChangeProcessor(directory));

        EventTimeExtractor eventTime = new EventTimeExtractor(settings.grace());
        KStream<String, SpecificRecord> syncs = builder.stream(
                topics.sync(),
                Consumed.with(Serdes.String(), asTelemetry(AvroSerde.of(SyncEvent.class)))
                        .withTimestampExtractor(eventTime)
                        .withName("telemetry-sync"));
        KStream<String, SpecificRecord> uploads = builder.stream(
                topics.upload(),
                Consumed.with(Serdes.String(), asTelemetry(AvroSerde.of(UploadEvent.class)))
                        .withTimestampExtractor(eventTime)
                        .withName("telemetry-upload"));

        builder.addStateStore(DedupStore.builder(DedupStore.STORE, settings.dedupHorizon()));
        builder.addStateStore(PartialWindowStore.builder(TelemetryProcessor.STORE, settings.limits()));
        builder.addStateStore(ClientStageStore.builder());
        WindowClock clock = WindowClock.of(settings.windowSize(), settings.grace());
        TelemetryValidator validator = new TelemetryValidator(settings.validation());
        // One node per event: only the refused events and the partials and ticks (a few records per flush) go on, so
        // routing them by type here costs nothing per accepted event.
        KStream<String, Object> out = syncs.merge(uploads, Named.as("telemetry"))
                .process(
                        () -> new TelemetryProcessor(
                                validator,
                                directory,
                                topics.sync(),
                                clock,
                                settings.flushInterval(),
                                settings.idleTimeout(),
                                reachability,
                                settings.clientStateTtl(),
                                settings.maxClientsPerCohort(),
                                settings.limits()),
                        Named.as(EVENTS_NODE),
                        DedupStore.STORE,
                        TelemetryProcessor.STORE,
                        ClientStageStore.STORE);
        out.split(Named.as("telemetry-"))
                .branch(
                        (key, value) -> value instanceof Refused,
                        Branched.withConsumer(refused -> toDeadLetters(refused, topics), "refused"))
                .defaultBranch(Branched.withConsumer(
                        partials -> merge(
                                partials.mapValues(v -> (WindowAggregate) v, Named.as("partial")),
                                settings,
                                directory,
                                builder,
                                closedWindows,
                                clock,
                                reachability),
                        "partials"));
        return builder.build();
    }

    private static void merge(
            KStream<String, WindowAggregate> partials,
            TopologySettings settings,
            FlagDirectory directory,
            StreamsBuilder builder,
            Consumer<WindowMetricsEvent> closedWindows,
            WindowClock clock,
            BrokerReachability reachability) {
        WindowAggregateSerde aggregateSerde = new WindowAggregateSerde();
        Duration tumblingRetention =
                max(settings.retention(), settings.windowSize().plus(settings.grace()));
        builder.addStateStore(Stores.timestampedWindowStoreBuilder(
                        Stores.persistentTimestampedWindowStore(
                                TUMBLING_STORE, tumblingRetention, settings.windowSize(), false),
                        Serdes.String(),
                        aggregateSerde)
                .withCachingEnabled());
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(WindowMergeProcessor.WATERMARKS_STORE), Serdes.String(), Serdes.Long()));
        KStream<Windowed<String>, WindowAggregate> closed = partials.repartition(
                        Repartitioned.<String, WindowAggregate>as(SCOPES_REPARTITION)
                                .withKeySerde(Serdes.String())
                                .withValueSerde(aggregateSerde)
                                .withStreamPartitioner(new TickPartitioner()))
                .process(
                        () -> new WindowMergeProcessor(
                                clock,
                                settings.inputPartitions(),
                                tumblingRetention.toMillis(),
                                directory,
                                settings.limits()),
                        Named.as("tumbling-merge"),
                        TUMBLING_STORE,
                        WindowMergeProcessor.WATERMARKS_STORE);
        closed.process(() -> new WindowEmitter(WindowKind.TUMBLING, directory), Named.as("tumbling-emit"))
                .peek((scope, window) -> closedWindows.accept(window), Named.as("tumbling-observed"))
                .to(settings.topics().windows(), windowsProduced("tumbling-windows-out"));

        if (settings.hoppingEnabled()) {
            builder.addStateStore(Stores.keyValueStoreBuilder(
                    Stores.persistentKeyValueStore(HoppingProcessor.STORE), Serdes.String(), new HoppingPartsSerde()));
            closed.process(
                            () -> new HoppingProcessor(
                                    settings.hoppingSize(), settings.hoppingAdvance(), settings.limits(), directory),
                            Named.as("hopping-from-tumbling"),
                            HoppingProcessor.STORE)
                    .to(settings.topics().windows(), windowsProduced("hopping-windows-out"));
        }
    }

    /**
     * Invalid and late events go to the dead-letter topic, re-encoded, with the headers set where they were refused.
     */
    private static void toDeadLetters(KStream<String, Object> refused, TopicNames topics) {
        refused.mapValues(v -> (Refused) v, Named.as("refused-event"))
                .process(DeadLetterEncoder::new, Named.as("dlq-encode"))
                .to(
                        topics.dlq(),
                        Produced.with(Serdes.String(), Serdes.ByteArray()).withName("dlq"));
    }

    /**
     * A serde of one event type as a serde of telemetry events, so that both topics' streams are of one type without a
     * node that casts each event.
     */
    @SuppressWarnings("unchecked")
    private static Serde<SpecificRecord> asTelemetry(Serde<? extends SpecificRecord> serde) {
        return (Serde<SpecificRecord>) serde;
    }

    /** Hopping windows are merged from tumbling ones, so their size and advance must be whole tumbling windows. */
    static void checkHopping(TopologySettings settings) {
        if (!settings.hoppingEnabled()) {
            return;
        }
        long tumbling = settings.windowSize().toMillis();
        long size = settings.hoppingSize().toMillis();
        long advance = settings.hoppingAdvance().toMillis();
        if (advance <= 0 || size < advance || size % tumbling != 0 || advance % tumbling != 0) {
            throw new IllegalArgumentException("hopping windows (size " + settings.hoppingSize() + ", advance "
                    + settings.hoppingAdvance() + ") must be whole multiples of the tumbling window size "
                    + settings.windowSize() + ", with the advance no larger than the size");
        }
    }

    private static Produced<String, WindowMetricsEvent> windowsProduced(String name) {
        return Produced.with(Serdes.String(), AvroSerde.of(WindowMetricsEvent.class))
                .withName(name);
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }
}
