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
import dev.rollguard.schemas.serde.AvroCodec;
import dev.rollguard.schemas.serde.AvroSerde;
import java.time.Duration;
import java.util.function.Consumer;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KGroupedStream;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.kstream.Suppressed;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;

/**
 * The telemetry pipeline:
 *
 * <ol>
 *   <li>telemetry.sync and telemetry.upload are decoded (undecodable records go to the dead-letter topic through
 *       {@link DeadLetterHandler}) and timed by their event time ({@link EventTimeExtractor});
 *   <li>each event is validated; the invalid branch goes to the dead-letter topic with its reason and source;
 *   <li>duplicates within the dedup horizon are dropped ({@link DedupProcessor});
 *   <li>each event fans out to its scopes: one per flag cohort ({@link CohortAssigner} against the flags.changes
 *       global store), its table, its platform, and global, and is added to the scope's partial window of its input
 *       task ({@link PreAggregateProcessor}); the partials are repartitioned by scope every flush interval;
 *   <li>per scope, tumbling windows merge the partials of every task; each window is emitted once, when stream
 *       time passes its end plus the grace period ({@code suppress(untilWindowCloses)}), to metrics.windows;
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

    private TelemetryTopology() {}

    /** Builds the topology; {@code directory} receives the flag versions and must not be shared between instances. */
    public static Topology build(TopologySettings settings, FlagDirectory directory) {
        return build(settings, directory, window -> {});
    }

    /**
     * Builds the topology and hands every closed tumbling window to {@code closedWindows} as it is emitted (for the
     * service's own gauges; it must be quick and must not fail).
     */
    public static Topology build(
            TopologySettings settings, FlagDirectory directory, Consumer<WindowMetricsEvent> closedWindows) {
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

        EventTimeExtractor eventTime =
                new EventTimeExtractor(settings.validation().maxClockSkew());
        KStream<String, SpecificRecord> syncs = builder.stream(
                        topics.sync(),
                        Consumed.with(Serdes.String(), AvroSerde.of(SyncEvent.class))
                                .withTimestampExtractor(eventTime)
                                .withName("telemetry-sync"))
                .mapValues(v -> (SpecificRecord) v, Named.as("sync-as-telemetry"));
        KStream<String, SpecificRecord> uploads = builder.stream(
                        topics.upload(),
                        Consumed.with(Serdes.String(), AvroSerde.of(UploadEvent.class))
                                .withTimestampExtractor(eventTime)
                                .withName("telemetry-upload"))
                .mapValues(v -> (SpecificRecord) v, Named.as("upload-as-telemetry"));

        TelemetryValidator validator = new TelemetryValidator(settings.validation());
        KStream<String, Checked> checked = syncs.merge(uploads, Named.as("telemetry"))
                .processValues(() -> new ValidationProcessor(validator), Named.as("validate"));

        checked.split(Named.as("telemetry-"))
                .branch(
                        (key, c) -> !c.valid(),
                        Branched.withConsumer(
                                invalid -> invalid.mapValues(TelemetryTopology::encode, Named.as("dlq-encode"))
                                        .to(
                                                topics.dlq(),
                                                Produced.with(Serdes.String(), Serdes.ByteArray())
                                                        .withName("dlq")),
                                "invalid"))
                .defaultBranch(Branched.withConsumer(
                        valid -> aggregate(valid, settings, directory, builder, closedWindows), "valid"));
        return builder.build();
    }

    private static void aggregate(
            KStream<String, Checked> valid,
            TopologySettings settings,
            FlagDirectory directory,
            StreamsBuilder builder,
            Consumer<WindowMetricsEvent> closedWindows) {
        builder.addStateStore(Stores.windowStoreBuilder(
                Stores.persistentWindowStore(
                        DedupProcessor.STORE, settings.dedupHorizon(), settings.dedupHorizon(), false),
                Serdes.String(),
                Serdes.Long()));
        WindowAggregateSerde aggregateSerde = new WindowAggregateSerde(settings.limits());
        builder.addStateStore(PartialWindowStore.builder(PreAggregateProcessor.STORE, settings.limits()));
        CohortAssigner assigner = new CohortAssigner(directory);
        KGroupedStream<String, WindowAggregate> scopes = valid.mapValues(Checked::event, Named.as("valid-event"))
                .processValues(
                        () -> new DedupProcessor(settings.dedupHorizon()), Named.as("dedup"), DedupProcessor.STORE)
                .process(
                        () -> new PreAggregateProcessor(
                                assigner,
                                settings.windowSize(),
                                settings.grace(),
                                settings.flushInterval(),
                                settings.limits()),
                        Named.as("pre-aggregate"),
                        PreAggregateProcessor.STORE)
                .repartition(Repartitioned.<String, WindowAggregate>as(SCOPES_REPARTITION)
                        .withKeySerde(Serdes.String())
                        .withValueSerde(aggregateSerde)
                        .withStreamPartitioner(new TickPartitioner()))
                .groupByKey(Grouped.with(Serdes.String(), aggregateSerde));

        Duration tumblingRetention =
                max(settings.retention(), settings.windowSize().plus(settings.grace()));
        KStream<Windowed<String>, WindowAggregate> closed = scopes.windowedBy(
                        TimeWindows.ofSizeAndGrace(settings.windowSize(), settings.grace()))
                .aggregate(
                        () -> new WindowAggregate(settings.limits()),
                        (scope, partial, aggregate) -> aggregate.merge(partial, settings.limits()),
                        Named.as("tumbling-aggregate"),
                        Materialized.<String, WindowAggregate, WindowStore<Bytes, byte[]>>as(TUMBLING_STORE)
                                .withKeySerde(Serdes.String())
                                .withValueSerde(aggregateSerde)
                                .withRetention(tumblingRetention))
                .suppress(Suppressed.untilWindowCloses(Suppressed.BufferConfig.unbounded())
                        .withName("tumbling-until-closed"))
                .toStream(Named.as("tumbling-closed"))
                .filter((window, aggregate) -> !PreAggregateProcessor.TICK.equals(window.key()), Named.as("scopes"));
        closed.process(() -> new WindowEmitter(WindowKind.TUMBLING), Named.as("tumbling-emit"))
                .peek((scope, window) -> closedWindows.accept(window), Named.as("tumbling-observed"))
                .to(settings.topics().windows(), windowsProduced("tumbling-windows-out"));

        if (settings.hoppingEnabled()) {
            builder.addStateStore(Stores.keyValueStoreBuilder(
                    Stores.persistentKeyValueStore(HoppingProcessor.STORE),
                    Serdes.String(),
                    new HoppingPartsSerde(settings.limits())));
            closed.process(
                            () -> new HoppingProcessor(
                                    settings.hoppingSize(), settings.hoppingAdvance(), settings.limits()),
                            Named.as("hopping-from-tumbling"),
                            HoppingProcessor.STORE)
                    .to(settings.topics().windows(), windowsProduced("hopping-windows-out"));
        }
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

    @SuppressWarnings("unchecked")
    private static byte[] encode(Checked checked) {
        SpecificRecord event = checked.event();
        return AvroCodec.of((Class<SpecificRecord>) event.getClass()).encode(event);
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }
}
