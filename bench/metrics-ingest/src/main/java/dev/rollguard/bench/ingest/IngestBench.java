package dev.rollguard.bench.ingest;

import dev.rollguard.infra.EmbeddedKafka;
import dev.rollguard.infra.ResultsFile;
import dev.rollguard.ingest.service.FlagDirectory;
import dev.rollguard.ingest.topology.BoundedMemoryRocksDBConfig;
import dev.rollguard.ingest.topology.DeadLetterHandler;
import dev.rollguard.ingest.topology.ProcessingDeadLetterHandler;
import dev.rollguard.ingest.topology.TelemetryTopology;
import dev.rollguard.ingest.topology.TopicNames;
import dev.rollguard.ingest.topology.TopologySettings;
import dev.rollguard.schemas.bucketing.Bucketing;
import dev.rollguard.schemas.event.FlagChangeType;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.FlagExposure;
import dev.rollguard.schemas.event.FlagValueType;
import dev.rollguard.schemas.event.FlagVariant;
import dev.rollguard.schemas.event.GuardAction;
import dev.rollguard.schemas.event.GuardPolicy;
import dev.rollguard.schemas.event.Platform;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.event.SyncKind;
import dev.rollguard.schemas.event.WindowKind;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import dev.rollguard.schemas.serde.AvroCodec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.tools.ProducerPerformance;

/**
 * The throughput benchmark of issue 4, all on this machine with one embedded broker:
 *
 * <ol>
 *   <li>the JIT's warm-up ({@link #warmUp}): the pass-through and the topology each drain a backlog of their own
 *       once, discarded, so that the timed runs measure compiled code;
 *   <li>raw producer throughput of the broker, measured with Kafka's own {@code ProducerPerformance} at the size of
 *       an encoded SyncEvent, after a discarded run of its own;
 *   <li>Kafka Streams' own ceiling for that input ({@link PassThrough}): an application with the topology's
 *       framework settings that forwards each preloaded event unchanged, timed like the aggregation;
 *   <li>sustained aggregation throughput: the topology (exactly-once v2, production defaults) drains a preloaded
 *       backlog of events; events per second from RUNNING until every input and repartition record is committed;
 *   <li>emission delay: events produced live at a fixed rate with 1 s windows and 1 s grace; for each global window,
 *       how long after its close (end + grace) it was emitted and when it became visible to a read_committed
 *       consumer.
 * </ol>
 *
 * <p>With {@code -Dbench.scenario=restart} it runs the restart scenario instead ({@link RestartBench}).
 */
public final class IngestBench {

    static final int PARTITIONS = Integer.getInteger("bench.partitions", 6);
    /** The topology's and the pass-through's commit interval, Kafka Streams' default under exactly-once. */
    static final int COMMIT_MS = Integer.getInteger("bench.commit-ms", 100);
    /** The Kafka Streams producers' batch size, as metrics-ingest's application.properties sets it. */
    static final int PRODUCER_BATCH_BYTES = Integer.getInteger("bench.producer-batch", 262_144);
    /** The guard's {@code guard.max-clients-per-cohort}: the service's default unless told otherwise. */
    static final int MAX_CLIENTS_PER_COHORT =
            Integer.getInteger("bench.max-clients-per-cohort", TopologySettings.DEFAULT_MAX_CLIENTS_PER_COHORT);
    /**
     * Share of the events run before the figures are taken, so that they show the steady state and not the JIT's
     * warm-up: the aggregation is timed from the commit that took the input past it, and Kafka's producer tool runs
     * that many records once, discarded, before the measured run.
     */
    static final double WARMUP_SHARE = Double.parseDouble(System.getProperty("bench.warmup-share", "0.2"));
    /** The heading of this benchmark's section of the results file; a run without append replaces only it. */
    static final String SECTION = "## Aggregation throughput and emission delay";

    static int warmupEvents(int events) {
        return (int) Math.round(events * WARMUP_SHARE);
    }

    /**
     * Events of the discarded runs that warm the JIT before the timed ones ({@link #warmUp}): 0 for none. By default
     * four times the timed runs' events: with as many as the timed ones, the JIT still spent 670-740 ms of compilation
     * a second in the topology's timed span of a 2-flag row (the broker's, the clients' and Kafka Streams' code on
     * their per-commit paths reach the C2 compiler's thresholds only after minutes), with four times as many about
     * half that (bench/results/metrics-ingest.md, "Notes of 7 December, morning").
     */
    static int jitWarmupEvents(int events) {
        return Integer.getInteger("bench.jit-warmup-events", 4 * events);
    }

    /**
     * Writes {@code section} (starting with {@code heading}) into the results file: appended with {@code append}, else
     * in place of the section under that heading (or at the end when there is none yet) through {@link ResultsFile},
     * which writes every other section back byte for byte.
     */
    static void writeSection(Path results, String heading, String section, boolean append) throws IOException {
        if (append && Files.exists(results)) {
            Files.writeString(results, "\n" + section, java.nio.file.StandardOpenOption.APPEND);
            return;
        }
        String body = section.substring(section.indexOf('\n') + 1);
        ResultsFile.read(results, "# metrics-ingest benchmark")
                .replace(heading.substring(heading.indexOf(' ') + 1), body)
                .write();
    }

    public static void main(String[] args) throws Exception {
        quietLogging();
        Path results = Path.of(System.getProperty("rollguard.results", "bench/results/metrics-ingest.md"));
        if ("restart".equals(System.getProperty("bench.scenario"))) {
            RestartBench.run(results);
            System.exit(0);
        }
        String sweep = System.getProperty("bench.sweep", "");
        if (!sweep.isBlank() && !"none".equals(sweep)) {
            CostSweep.run(sweep, results);
            System.exit(0);
        }
        int events = Integer.getInteger("bench.events", 500_000);
        // The live load of the emission measurement: the 50 000 events/s unless told otherwise.
        int rate = Integer.getInteger("bench.rate", 50_000);
        int seconds = Integer.getInteger("bench.seconds", 30);
        int flags = Integer.getInteger("bench.flags", 2);
        int ramping = Math.min(flags, Integer.getInteger("bench.ramping", flags));
        long clientsPerHour = Long.getLong("bench.clients-per-hour", 1_000_000L);
        int threads = Integer.getInteger("bench.threads", 2);
        // A child of the cost sweep writes its figures here instead of the results file.
        String rowFile = System.getProperty("bench.row-file", "");
        boolean append = Boolean.getBoolean("bench.append");
        Path root = Scratch.directory("ingest-bench");
        StringBuilder report = new StringBuilder();
        String loadBefore = loadAverage();
        try (EmbeddedKafka kafka = EmbeddedKafka.start(root.resolve("kafka"), 0, 0)) {
            String bootstrap = kafka.bootstrapServers();
            Generator generator = new Generator(flags, ramping, clientsPerHour);
            // The mean encoded size: half the events carry exposures and half none.
            int eventSize = meanEventSize(new Generator(flags, ramping, clientsPerHour));

            TopicNames topics = createTopics(kafka, "t1.");
            publishFlags(bootstrap, topics.flags(), flags, ramping);
            double loopRate = preload(bootstrap, topics, generator, events);
            System.out.printf("plain producer loop of encoded SyncEvents: %.0f events/s%n", loopRate);
            warmUp(kafka, new Generator(flags, ramping, clientsPerHour), jitWarmupEvents(events), root);

            // The producer is measured after the JIT's warm-up, right before the pass-through and the topology, so
            // that the three figures of a row are taken with the broker's code equally compiled; it gets its own
            // warm-up too: a discarded run of the warm-up share first.
            kafka.createTopics(List.of(
                    new NewTopic("perf-warmup", PARTITIONS, (short) 1), new NewTopic("perf", PARTITIONS, (short) 1)));
            producerPerformance(bootstrap, "perf-warmup", warmupEvents(events), eventSize);
            awaitJitQuiet("the producer");
            long perfStartNanos = System.nanoTime();
            long perfStartJit = Cost.jitMillis();
            String perf = producerPerformance(bootstrap, "perf", events, eventSize);
            double perfJitMsPerS = (Cost.jitMillis() - perfStartJit) / ((System.nanoTime() - perfStartNanos) / 1e9);
            double rawRate = parseRate(perf);
            System.out.printf("ProducerPerformance: %s (JIT %.0f ms/s)%n", perf, perfJitMsPerS);

            // Before the aggregation, never beside it: the two would share the two cores and the broker.
            awaitJitQuiet("the pass-through");
            Drain passDrain = PassThrough.drain(
                    kafka, topics.sync(), "t1.pass-through", events, root.resolve("p1"), PassThrough.APPLICATION_ID);
            double passThrough = passDrain.steadyRate(events);
            double passJitMsPerS = passDrain.jitMillis() / ((passDrain.drainedNanos() - passDrain.warmedNanos()) / 1e9);
            System.out.printf(
                    "Kafka Streams pass-through: %.0f events/s after the warm-up (JIT %.0f ms/s)%n",
                    passThrough, passJitMsPerS);

            TopologySettings throughputSettings = TopologySettings.of(
                            topics, Duration.ofMinutes(1), Duration.ofSeconds(10))
                    .withInputPartitions(PARTITIONS)
                    .withMaxClientsPerCohort(MAX_CLIENTS_PER_COHORT);
            awaitJitQuiet("the aggregation");
            KafkaStreams streams = streams(bootstrap, "bench-throughput", throughputSettings, root.resolve("s1"));
            long started = awaitRunning(streams);
            Drain drain = awaitNoLag(bootstrap, "bench-throughput", warmupEvents(events), Duration.ofMinutes(15));
            long drained = drain.drainedNanos();
            long cpu = drain.cpuNanos();
            double aggregated = drain.steadyRate(events);
            double coldAggregated = events / ((drained - started) / 1e9);
            // Let the last commit's changelog writes and RocksDB flushes land before the sizes are taken.
            LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(2));
            Cost cost = Cost.measure(
                    bootstrap, "bench-throughput", root.resolve("s1"), cpu, drained - drain.warmedNanos(), generator);
            streams.close(Duration.ofSeconds(30));
            System.out.printf(
                    "aggregation: %.0f events/s after the warm-up (%.0f events/s from RUNNING)%n",
                    aggregated, coldAggregated);
            if (!rowFile.isBlank()) {
                Properties row = cost.toProperties();
                row.setProperty("flags", Integer.toString(flags));
                row.setProperty("ramping", Integer.toString(ramping));
                row.setProperty("clientsPerHour", Long.toString(clientsPerHour));
                row.setProperty("threads", Integer.toString(threads));
                row.setProperty("events", Integer.toString(events));
                row.setProperty("eventSize", Integer.toString(eventSize));
                row.setProperty("producer", String.format("%.0f", rawRate));
                row.setProperty("passThrough", String.format("%.0f", passThrough));
                row.setProperty("aggregation", String.format("%.0f", aggregated));
                row.setProperty("aggregationFromStart", String.format("%.0f", coldAggregated));
                row.setProperty("warmupEvents", Long.toString(drain.warmedEvents()));
                row.setProperty(
                        "jitMsPerS",
                        String.format("%.0f", drain.jitMillis() / ((drained - drain.warmedNanos()) / 1e9)));
                row.setProperty("producerJitMsPerS", String.format("%.0f", perfJitMsPerS));
                row.setProperty("passThroughJitMsPerS", String.format("%.0f", passJitMsPerS));
                row.setProperty("loadBefore", loadBefore);
                row.setProperty("loadAfter", loadAverage());
                try (var out = Files.newBufferedWriter(Path.of(rowFile))) {
                    row.store(out, "IngestBench cost row");
                }
                System.exit(0);
            }

            TopicNames live = createTopics(kafka, "t2.");
            publishFlags(bootstrap, live.flags(), flags, ramping);
            TopologySettings liveSettings = TopologySettings.of(live, Duration.ofSeconds(1), Duration.ofSeconds(1))
                    .withInputPartitions(PARTITIONS)
                    .withMaxClientsPerCohort(MAX_CLIENTS_PER_COHORT);
            KafkaStreams liveStreams = streams(bootstrap, "bench-live", liveSettings, root.resolve("s2"));
            awaitRunning(liveStreams);
            Latency latency = liveLatency(bootstrap, live, generator, rate, seconds, liveSettings);
            throwIfFailed("bench-live");
            liveStreams.close(Duration.ofSeconds(30));

            report.append(SECTION)
                    .append("\n\nMeasured ")
                    .append(DateTimeFormatter.ISO_LOCAL_DATE_TIME.format(
                            Instant.now().atOffset(ZoneOffset.UTC).withNano(0)))
                    .append(" UTC on this machine (")
                    .append(Runtime.getRuntime().availableProcessors())
                    .append(" cores, Java ")
                    .append(System.getProperty("java.version"))
                    .append("), one embedded Kafka 4.1.1 broker in the benchmark's JVM, ")
                    .append(PARTITIONS)
                    .append(" partitions per telemetry topic, exactly_once_v2 (commit interval ")
                    .append(COMMIT_MS)
                    .append(" ms), ")
                    .append(Integer.getInteger("bench.threads", 2))
                    .append(" stream threads, ")
                    .append(flags)
                    .append(" flags of which ")
                    .append(ramping)
                    .append(
                            " under a partial rollout (the rest disabled, 0 %, 100 % or killed in turn; half the events")
                    .append(" report exposures of the first ")
                    .append(Math.min(flags, Generator.EXPOSURES_PER_EVENT))
                    .append(" flags, half are bucketed by the pipeline), ")
                    .append(clientsPerHour)
                    .append(" distinct clients per hour of event time.\n")
                    .append("Run with `./mvnw -f bench/metrics-ingest/pom.xml compile exec:exec -Dbench.events=")
                    .append(events)
                    .append(" -Dbench.rate=")
                    .append(rate)
                    .append(" -Dbench.seconds=")
                    .append(seconds)
                    .append(" -Dbench.flags=")
                    .append(flags)
                    .append(" -Dbench.ramping=")
                    .append(ramping)
                    .append(" -Dbench.clients-per-hour=")
                    .append(clientsPerHour)
                    .append(" -Dbench.threads=")
                    .append(threads)
                    .append(' ')
                    .append(String.join(" ", sharedOptions()))
                    .append("` (after `./mvnw -pl metrics-ingest install -DskipTests`).\n\n")
                    .append("| figure | value |\n| --- | --- |\n")
                    .append(row("encoded SyncEvent size (mean)", eventSize + " bytes"))
                    .append(row(
                            "raw producer throughput (Kafka `ProducerPerformance`, " + events + " records of "
                                    + eventSize + " bytes, acks=all, after a discarded run of "
                                    + warmupEvents(events) + ")",
                            String.format("%.0f records/s", rawRate)))
                    .append(row(
                            "plain producer loop of encoded SyncEvents (preload)",
                            String.format("%.0f events/s", loopRate)))
                    .append(row(
                            "sustained aggregation throughput (" + events
                                    + " preloaded events, 1 min windows + hopping, after the JIT's warm-up run of "
                                    + jitWarmupEvents(events) + " events, discarded; measured after the first "
                                    + drain.warmedEvents() + " were committed, the warm-up share "
                                    + WARMUP_SHARE + ")",
                            String.format("%.0f events/s", aggregated)))
                    .append(row(
                            "the same from RUNNING, warm-up included", String.format("%.0f events/s", coldAggregated)))
                    .append(row("aggregation / raw producer", String.format("%.2f", aggregated / rawRate)))
                    .append(row(
                            "Kafka Streams pass-through (the same preloaded events forwarded unchanged as bytes to one"
                                    + " topic, the topology's exactly_once_v2, commit interval and stream threads,"
                                    + " none of its work: Kafka Streams' own ceiling for this input; measured after"
                                    + " the first " + passDrain.warmedEvents() + " were committed)",
                            String.format("%.0f events/s", passThrough)))
                    .append(row("pass-through / raw producer", String.format("%.2f", passThrough / rawRate)))
                    .append(row("aggregation / pass-through", String.format("%.2f", aggregated / passThrough)))
                    .append(cost.rows())
                    .append(row(
                            "live load (1 s windows, 1 s grace): target / sent",
                            String.format("%d / %.0f events/s for %d s", rate, latency.sentRate(), seconds)))
                    .append(row("window emitted after close (end + grace): p50 / p99 / max", latency.emitted()))
                    .append(row(
                            "window visible to a read_committed consumer after close: p50 / p99 / max",
                            latency.visible()))
                    .append(row("windows measured", Integer.toString(latency.windows())))
                    .append(row(
                            "load average before / after (other builds share the machine)",
                            loadBefore + " / " + loadAverage()))
                    .append("\nProducerPerformance summary line: `")
                    .append(perf.strip())
                    .append("`\n");
        }
        writeSection(results, SECTION, report.toString(), append);
        System.out.println(report);
        System.exit(0);
    }

    /**
     * Warnings and errors only. JBoss LogManager 3 starts with the root logger at ALL and does not read a
     * logging.properties by itself, so without this every TRACE statement of the Kafka clients and Streams is
     * formatted for every record, which costs more than the work being measured.
     */
    static void quietLogging() {
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        root.setLevel(java.util.logging.Level.WARNING);
        if (root.getHandlers().length == 0) {
            root.addHandler(new java.util.logging.ConsoleHandler());
        }
    }

    /** The 1-minute load average, to show how busy the shared machine was. */
    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException e) {
            return "unknown";
        }
    }

    static String row(String name, String value) {
        return "| " + name + " | " + value + " |\n";
    }

    static TopicNames createTopics(EmbeddedKafka kafka, String prefix) {
        TopicNames topics = TopicNames.DEFAULT.prefixed(prefix);
        kafka.createTopics(List.of(
                new NewTopic(topics.sync(), PARTITIONS, (short) 1),
                new NewTopic(topics.upload(), PARTITIONS, (short) 1),
                new NewTopic(topics.flags(), 1, (short) 1),
                new NewTopic(topics.dlq(), 1, (short) 1),
                new NewTopic(topics.windows(), PARTITIONS, (short) 1)));
        return topics;
    }

    static KafkaProducer<String, byte[]> producer(String bootstrap) {
        return new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ProducerConfig.ACKS_CONFIG,
                        "all",
                        ProducerConfig.LINGER_MS_CONFIG,
                        5,
                        ProducerConfig.BATCH_SIZE_CONFIG,
                        65536),
                new StringSerializer(),
                new ByteArraySerializer());
    }

    /** Events per second of event time in the preloaded backlog. */
    static final int EVENT_RATE = Integer.getInteger("bench.event-rate", 50_000);

    /**
     * The options every run takes alike, single run or sweep row, as command-line arguments: the sweep hands them to
     * each row's JVM, and both name them in their results' "Run with" line.
     */
    static List<String> sharedOptions() {
        List<String> options = new ArrayList<>(List.of(
                "-Dbench.commit-ms=" + COMMIT_MS,
                "-Dbench.warmup-share=" + WARMUP_SHARE,
                "-Dbench.partitions=" + PARTITIONS,
                "-Dbench.event-rate=" + EVENT_RATE,
                "-Dbench.session-seconds=" + Generator.SESSION_MS / 1000,
                "-Dbench.exposures-per-event=" + Generator.EXPOSURES_PER_EVENT,
                "-Dbench.producer-batch=" + PRODUCER_BATCH_BYTES,
                "-Dbench.max-clients-per-cohort=" + MAX_CLIENTS_PER_COHORT));
        // Unset, each row warms the JIT with four times the events it times (jitWarmupEvents).
        String jitWarmup = System.getProperty("bench.jit-warmup-events");
        if (jitWarmup != null) {
            options.add("-Dbench.jit-warmup-events=" + jitWarmup);
        }
        return options;
    }

    static int meanEventSize(Generator generator) {
        long bytes = 0;
        int n = 1000;
        for (int i = 0; i < n; i++) {
            bytes += AvroCodec.of(SyncEvent.class).encode(generator.event(Instant.now(), i, false)).length;
        }
        return (int) (bytes / n);
    }

    /** What the flag {@code f} of the benchmark is: under a partial rollout below {@code ramping}, else one of four. */
    enum FlagKind {
        RAMPING,
        DISABLED,
        ZERO,
        FULL,
        KILLED;

        static FlagKind of(int f, int ramping) {
            if (f < ramping) {
                return RAMPING;
            }
            return values()[1 + (f - ramping) % 4];
        }

        int basisPoints(int f) {
            return switch (this) {
                case RAMPING -> 1000 * (f % 9 + 1);
                case ZERO -> 0;
                case FULL -> 10_000;
                case DISABLED, KILLED -> 5000;
            };
        }
    }

    static void publishFlags(String bootstrap, String topic, int flags, int ramping) throws Exception {
        try (var producer = producer(bootstrap)) {
            for (int f = 0; f < flags; f++) {
                FlagKind kind = FlagKind.of(f, ramping);
                FlagChangedEvent flag = FlagChangedEvent.newBuilder()
                        .setEventId(UUID.randomUUID().toString())
                        .setFlagKey("flag-" + f)
                        .setVersion(1)
                        .setChangeType(FlagChangeType.CREATED)
                        .setChangedAt(Instant.now().minus(Duration.ofDays(1)))
                        .setActor("bench")
                        .setArchived(false)
                        .setEnabled(kind != FlagKind.DISABLED)
                        .setKilled(kind == FlagKind.KILLED)
                        .setValueType(FlagValueType.BOOLEAN)
                        .setVariants(List.of(
                                FlagVariant.newBuilder()
                                        .setName("on")
                                        .setValueJson("true")
                                        .build(),
                                FlagVariant.newBuilder()
                                        .setName("off")
                                        .setValueJson("false")
                                        .build()))
                        .setTreatmentVariant("on")
                        .setOffVariant("off")
                        .setAllowList(List.of())
                        .setDenyList(List.of())
                        .setRolloutBasisPoints(kind.basisPoints(f))
                        .setStages(List.of())
                        .setPaused(false)
                        .setGuardPolicy(GuardPolicy.newBuilder()
                                .setAction(GuardAction.KILL)
                                .setDryRun(false)
                                .setCooldownSeconds(300)
                                .build())
                        .build();
                producer.send(new ProducerRecord<>(
                                topic,
                                flag.getFlagKey(),
                                AvroCodec.of(FlagChangedEvent.class).encode(flag)))
                        .get();
            }
        }
    }

    /**
     * The framework settings of every Kafka Streams application of the benchmark, so that the pass-through reference
     * pays exactly the aggregation's framework costs.
     */
    static Properties streamsConfig(String bootstrap, String appId, Path stateDir) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, COMMIT_MS);
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.getInteger("bench.threads", 2));
        props.put(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), PRODUCER_BATCH_BYTES);
        return props;
    }

    /** The first exception that stopped a stream thread of a Kafka Streams application of this JVM. */
    static final AtomicReference<Throwable> STREAMS_FAILURE = new AtomicReference<>();

    /**
     * Records the first exception that stops one of the application's stream threads, so that a failed run ends with
     * that exception (in {@link #awaitRunning} and {@link #awaitNoLag}) instead of a time-out. Call before start.
     */
    static void watch(KafkaStreams streams) {
        streams.setUncaughtExceptionHandler(e -> {
            STREAMS_FAILURE.compareAndSet(null, e);
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
    }

    private static void throwIfFailed(String what) {
        Throwable failure = STREAMS_FAILURE.get();
        if (failure != null) {
            throw new IllegalStateException(what + " stopped", failure);
        }
    }

    /**
     * Writes {@code events} sync events of {@code generator} to {@code topics}, all in the past (an event time ahead of
     * its record's timestamp, beyond the grace, is replaced by the record's timestamp, which would fold the backlog's
     * last minutes into a few windows); returns the events written a second.
     */
    static double preload(String bootstrap, TopicNames topics, Generator generator, int events) {
        Instant base = Instant.now().minus(Duration.ofMinutes(30).plusMillis((long) events * 1000L / EVENT_RATE));
        long loadStart = System.nanoTime();
        try (var producer = producer(bootstrap)) {
            for (int i = 0; i < events; i++) {
                SyncEvent e = generator.event(base.plusMillis(i * 1000L / EVENT_RATE), i, true);
                producer.send(new ProducerRecord<>(
                        topics.sync(),
                        e.getClientId(),
                        AvroCodec.of(SyncEvent.class).encode(e)));
            }
        }
        return events / ((System.nanoTime() - loadStart) / 1e9);
    }

    /**
     * The JIT's warm-up, discarded: the pass-through and the topology each drain {@code events} events of topics of
     * their own (prefix {@code w.}, flags published as for the timed runs, events of {@code generator}) once in this
     * JVM, then close and delete their state. The timed runs that follow start from empty state, as before, but with
     * the code compiled: without this the JIT still spent about a second of CPU a second (half of this machine's two
     * cores) in the timed span of a row of 600 000 events, which a service running for days spends once.
     */
    static void warmUp(EmbeddedKafka kafka, Generator generator, int events, Path root) throws Exception {
        if (events <= 0) {
            return;
        }
        String bootstrap = kafka.bootstrapServers();
        TopicNames topics = createTopics(kafka, "w.");
        publishFlags(bootstrap, topics.flags(), generator.flags, generator.ramping);
        preload(bootstrap, topics, generator, events);
        PassThrough.drain(
                kafka, topics.sync(), "w.pass-through", events, root.resolve("wp"), "bench-warm-pass-through");
        TopologySettings settings = TopologySettings.of(topics, Duration.ofMinutes(1), Duration.ofSeconds(10))
                .withInputPartitions(PARTITIONS)
                .withMaxClientsPerCohort(MAX_CLIENTS_PER_COHORT);
        KafkaStreams streams = streams(bootstrap, "bench-warm", settings, root.resolve("w1"));
        boolean closed;
        try {
            awaitRunning(streams);
            awaitNoLag(bootstrap, "bench-warm", 0, Duration.ofMinutes(15));
        } finally {
            closed = streams.close(Duration.ofSeconds(30));
        }
        if (!closed) {
            throw new IllegalStateException("the warm-up topology did not close within 30 s");
        }
        streams.cleanUp();
        System.out.printf("JIT warm-up: %d events through the pass-through and the topology, discarded%n", events);
    }

    /**
     * Waits, at most {@link #JIT_QUIET_MAX}, until the JIT compiled for less than {@link #JIT_QUIET_MS} ms in the
     * last {@link #JIT_QUIET_SPAN}: the compilations the run before queued are done before the next is timed, so a
     * timed span pays only for what its own code makes hot. Prints how long it waited.
     */
    static void awaitJitQuiet(String next) {
        long start = System.nanoTime();
        long deadline = start + JIT_QUIET_MAX.toNanos();
        long compiled;
        do {
            long before = Cost.jitMillis();
            LockSupport.parkNanos(JIT_QUIET_SPAN.toNanos());
            compiled = Cost.jitMillis() - before;
        } while (compiled >= JIT_QUIET_MS && System.nanoTime() < deadline);
        System.out.printf(
                "JIT quiet before %s: waited %.1f s (%d ms of compilation in the last %d s)%n",
                next, (System.nanoTime() - start) / 1e9, compiled, JIT_QUIET_SPAN.toSeconds());
    }

    static final Duration JIT_QUIET_SPAN = Duration.ofSeconds(2);
    static final long JIT_QUIET_MS = 40;
    static final Duration JIT_QUIET_MAX = Duration.ofSeconds(60);

    static KafkaStreams streams(String bootstrap, String appId, TopologySettings settings, Path stateDir) {
        Properties props = streamsConfig(bootstrap, appId, stateDir);
        props.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandler.class.getName());
        props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, ProcessingDeadLetterHandler.class.getName());
        props.putAll(settings.topics().deadLetterConfig());
        // The state stores' memory as the service bounds it (metrics-ingest README, "Memory").
        props.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedMemoryRocksDBConfig.class.getName());
        KafkaStreams streams = new KafkaStreams(
                TelemetryTopology.build(settings, new FlagDirectory(settings.flagHistoryVersions())), props);
        watch(streams);
        streams.start();
        return streams;
    }

    static long awaitRunning(KafkaStreams streams) {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (streams.state() != KafkaStreams.State.RUNNING) {
            throwIfFailed("Kafka Streams");
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Kafka Streams did not reach RUNNING: " + streams.state());
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
        return System.nanoTime();
    }

    /**
     * How a backlog drained: the timed span starts at the last look at the group's committed input before it passed the
     * warm-up share ({@code warmedEvents} committed at {@code warmedNanos}) and ends when it had committed everything;
     * {@code cpuNanos} and {@code jitMillis} are the process CPU time and JIT compilation time spent within the span.
     */
    record Drain(long warmedEvents, long warmedNanos, long drainedNanos, long cpuNanos, long jitMillis) {

        static Drain between(Reading start, Reading drained) {
            return new Drain(
                    start.events(),
                    start.nanos(),
                    drained.nanos(),
                    drained.cpuNanos() - start.cpuNanos(),
                    drained.jitMillis() - start.jitMillis());
        }

        /** Steady state: the events committed within the span, by its length. */
        double steadyRate(long events) {
            if (drainedNanos <= warmedNanos) {
                throw new IllegalStateException(
                        "the group had drained at the first look at it: no span to time; raise bench.events");
            }
            return (events - warmedEvents) / ((drainedNanos - warmedNanos) / 1e9);
        }
    }

    /** One look at a group's committed input: how many events, and the clock, process CPU and JIT time then. */
    record Reading(long events, long nanos, long cpuNanos, long jitMillis) {

        static Reading take(long events) {
            return new Reading(events, System.nanoTime(), Cost.processCpuNanos(), Cost.jitMillis());
        }
    }

    /**
     * Waits until the group has committed every record of every partition it reads (input and repartition), timing
     * the drain from the last look at its committed input before that passed {@code warmup} events.
     */
    static Drain awaitNoLag(String bootstrap, String groupId, long warmup, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        // The span starts at the last reading below the warm-up share, not the first at or past it: a run can pass
        // the share and drain between two polls, and that first reading past the share is then also the last, with
        // no time to divide by (NaN). Starting one poll (50 ms and an admin request) earlier keeps the figure the
        // steady rate: the events counted are those committed within the span, the few warm-up ones included.
        Reading below = null;
        Reading start = null;
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            while (System.nanoTime() < deadline) {
                throwIfFailed(groupId);
                Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(groupId)
                        .partitionsToOffsetAndMetadata()
                        .get(10, TimeUnit.SECONDS);
                boolean inputsSeen =
                        committed.keySet().stream().anyMatch(tp -> tp.topic().endsWith("telemetry.sync"));
                // The input is written by the preload's plain producer: its offsets count events only. A partition
                // without a committed offset (every one, before the group's first commit) has none of them yet.
                Reading reading = Reading.take(committed.entrySet().stream()
                        .filter(e -> e.getKey().topic().endsWith("telemetry.sync"))
                        .mapToLong(e -> e.getValue().offset())
                        .sum());
                if (start == null) {
                    if (reading.events() < warmup) {
                        below = reading;
                    } else {
                        start = below != null ? below : reading;
                    }
                }
                if (start != null && inputsSeen) {
                    Map<TopicPartition, OffsetSpec> ends = new HashMap<>();
                    committed.keySet().forEach(tp -> ends.put(tp, OffsetSpec.latest()));
                    long lag = 0;
                    for (var end : admin.listOffsets(ends)
                            .all()
                            .get(10, TimeUnit.SECONDS)
                            .entrySet()) {
                        // A transaction marker follows the last record of each transactional write: allow one.
                        lag += Math.max(
                                0,
                                end.getValue().offset()
                                        - committed.get(end.getKey()).offset()
                                        - 1);
                    }
                    if (lag == 0) {
                        return Drain.between(start, reading);
                    }
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
            }
        }
        throw new IllegalStateException(groupId + " did not drain its input within " + timeout);
    }

    record Latency(String emitted, String visible, int windows, double sentRate) {}

    static Latency liveLatency(
            String bootstrap, TopicNames topics, Generator generator, int rate, int seconds, TopologySettings settings)
            throws Exception {
        long graceMs = settings.grace().toMillis();
        List<Long> emitted = Collections.synchronizedList(new ArrayList<>());
        List<Long> visible = Collections.synchronizedList(new ArrayList<>());
        long warmupEnd = System.currentTimeMillis() + 3000;
        long stopAt = System.currentTimeMillis() + seconds * 1000L;
        Thread reader = new Thread(() -> {
            try (var consumer = new KafkaConsumer<>(
                    Map.of(
                            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                            ConsumerConfig.GROUP_ID_CONFIG, "bench-reader",
                            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                            ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                    new StringDeserializer(),
                    new ByteArrayDeserializer())) {
                consumer.subscribe(List.of(topics.windows()));
                while (System.currentTimeMillis() < stopAt + 5000) {
                    for (var record : consumer.poll(Duration.ofMillis(100))) {
                        long now = System.currentTimeMillis();
                        WindowMetricsEvent w =
                                AvroCodec.of(WindowMetricsEvent.class).decode(record.value());
                        long closed = w.getWindowEnd().toEpochMilli() + graceMs;
                        if (w.getWindowKind() == WindowKind.TUMBLING
                                && "global".equals(w.getScopeKey())
                                && closed > warmupEnd
                                && closed < stopAt) {
                            emitted.add(w.getEmittedAt().toEpochMilli() - closed);
                            visible.add(now - closed);
                        }
                    }
                }
            }
        });
        reader.start();
        long sent = 0;
        long startNanos = System.nanoTime();
        try (var producer = producer(bootstrap)) {
            while (System.currentTimeMillis() < stopAt + 3000) {
                long due = (System.nanoTime() - startNanos) * rate / 1_000_000_000L;
                while (sent < due) {
                    SyncEvent e = generator.event(Instant.now(), sent, false);
                    producer.send(new ProducerRecord<>(
                            topics.sync(),
                            e.getClientId(),
                            AvroCodec.of(SyncEvent.class).encode(e)));
                    sent++;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
        }
        double sentRate = sent / ((System.nanoTime() - startNanos) / 1e9);
        reader.join();
        return new Latency(percentiles(emitted), percentiles(visible), emitted.size(), sentRate);
    }

    static String percentiles(List<Long> values) {
        if (values.isEmpty()) {
            return "no window measured";
        }
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return String.format(
                "%d ms / %d ms / %d ms",
                sorted.get(sorted.size() / 2),
                sorted.get((int) Math.min(sorted.size() - 1, Math.ceil(sorted.size() * 0.99) - 1)),
                sorted.get(sorted.size() - 1));
    }

    static String producerPerformance(String bootstrap, String topic, int records, int size) throws IOException {
        PrintStream original = System.out;
        var captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            ProducerPerformance.main(new String[] {
                "--topic",
                topic,
                "--num-records",
                Integer.toString(records),
                "--record-size",
                Integer.toString(size),
                "--throughput",
                "-1",
                "--producer-props",
                "bootstrap.servers=" + bootstrap,
                "acks=all",
                "linger.ms=5",
                "batch.size=65536"
            });
        } catch (Exception e) {
            throw new IllegalStateException("ProducerPerformance failed", e);
        } finally {
            System.setOut(original);
        }
        List<String> lines = captured.toString(StandardCharsets.UTF_8).lines().toList();
        return lines.get(lines.size() - 1);
    }

    /** "500000 records sent, 123456.7 records/sec (...)" -> 123456.7 */
    static double parseRate(String summary) {
        String[] parts = summary.split(",");
        return Double.parseDouble(parts[1].strip().split(" ")[0]);
    }

    /**
     * Synthetic telemetry: 5 tables, a few platforms, 5 % failures. Clients arrive at {@code clientsPerHour} over
     * event time and each stays for {@link #SESSION_MS}: an event at time t comes from a client drawn uniformly from
     * those that arrived within the session before t, so {@code clientsPerHour} distinct clients appear per hour of
     * event time. A client's user is fixed, and its exposures name the cohort the flag serves that user.
     */
    static final class Generator {
        static final long SESSION_MS = Long.getLong("bench.session-seconds", 300) * 1000;
        /**
         * How many flags an event with exposures reports (a client reports the flags it evaluated, not every flag
         * that exists); 32 by default, within the service's {@code validation.max-exposures} of 64.
         */
        static final int EXPOSURES_PER_EVENT = Integer.getInteger("bench.exposures-per-event", 32);

        final int flags;
        final int ramping;
        /** Flags an event with exposures reports: the first ones, so every ramping flag up to this many. */
        final int exposed;

        final double arrivalsPerMs;
        final SplittableRandom random = new SplittableRandom(7);
        final Platform[] platforms = {Platform.WEB, Platform.IOS, Platform.ANDROID};
        /** Distinct clients drawn with {@code track}: for the per-client state check. */
        final java.util.Set<Long> clients = new java.util.HashSet<>();

        long firstEventMs = Long.MAX_VALUE;
        long lastEventMs = Long.MIN_VALUE;

        Generator(int flags, int ramping, long clientsPerHour) {
            this.flags = flags;
            this.ramping = ramping;
            this.exposed = Math.min(flags, EXPOSURES_PER_EVENT);
            this.arrivalsPerMs = clientsPerHour / 3_600_000.0;
        }

        long client(long atMs) {
            long newest = (long) (atMs * arrivalsPerMs);
            long oldest = (long) ((atMs - SESSION_MS) * arrivalsPerMs);
            return oldest + random.nextLong(Math.max(1, newest - oldest));
        }

        SyncEvent event(Instant at, long i, boolean track) {
            long atMs = at.toEpochMilli();
            long client = client(atMs);
            if (track) {
                clients.add(client);
                firstEventMs = Math.min(firstEventMs, atMs);
                lastEventMs = Math.max(lastEventMs, atMs);
            }
            String user = "user-" + client;
            boolean success = random.nextInt(100) >= 5;
            List<FlagExposure> exposures = new ArrayList<>();
            if (i % 2 == 0) {
                for (int f = 0; f < exposed; f++) {
                    String flagKey = "flag-" + f;
                    FlagKind kind = FlagKind.of(f, ramping);
                    boolean treated =
                            switch (kind) {
                                case RAMPING -> Bucketing.bucket(flagKey, user) < kind.basisPoints(f);
                                case FULL -> true;
                                default -> false;
                            };
                    exposures.add(FlagExposure.newBuilder()
                            .setFlagKey(flagKey)
                            .setVariant(treated ? "on" : "off")
                            .setTreated(treated)
                            .setFlagVersion(1L)
                            .build());
                }
            }
            return SyncEvent.newBuilder()
                    .setEventId(UUID.randomUUID().toString())
                    .setEventTime(at)
                    .setClientId("client-" + client)
                    .setUserId(user)
                    .setSessionId(null)
                    .setPlatform(platforms[(int) (i % platforms.length)])
                    .setAppVersion("1.2.3")
                    .setExposures(exposures)
                    .setSyncKind(SyncKind.INCREMENTAL)
                    .setTable("table-" + (i % 5))
                    .setSuccess(success)
                    .setDurationMs(50 + random.nextInt(3000))
                    .setRecordsSynced(random.nextInt(100))
                    .setErrorCode(success ? null : "TIMEOUT")
                    .setErrorMessage(success ? null : "timed out")
                    .setStorageUsedBytes((long) random.nextInt(50_000_000))
                    .setStorageQuotaBytes(256L * 1024 * 1024)
                    .setPendingMutations(random.nextInt(20))
                    .setFailedMutations(0)
                    .setSyncQueueLength(random.nextInt(5))
                    .build();
        }
    }

    private IngestBench() {}
}
