package dev.rollguard.bench.ingest;

import dev.rollguard.ingest.service.FlagDirectory;
import dev.rollguard.ingest.topology.BoundedMemoryRocksDBConfig;
import dev.rollguard.ingest.topology.DeadLetterHandler;
import dev.rollguard.ingest.topology.ProcessingDeadLetterHandler;
import dev.rollguard.ingest.topology.TelemetryTopology;
import dev.rollguard.ingest.topology.TopologySettings;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;

/**
 * One metrics-ingest Kafka Streams instance in a child JVM, for the restart scenario of {@link RestartBench}: killed
 * with SIGKILL like a crashed pod and started again on the same state directory.
 *
 * <p>It prints {@code RUNNING tasks=<n>} whenever it reaches RUNNING, and every half second (and once more when it is
 * stopped normally) {@code METRICS late.input=<n> late.merge=<n> dropped=<n>}: its own counts since it started of
 * {@code rollguard.ingest.late.events} by stage and of Kafka Streams' task-level {@code dropped-records-total}, the
 * two sources of the late-events and dropped-records alerts.
 *
 * <p>Arguments: bootstrap servers, application id, topic prefix, state directory.
 */
public final class RestartWorker {

    static final String RUNNING = "RUNNING tasks=";
    static final String METRICS = "METRICS ";

    public static void main(String[] args) throws InterruptedException {
        IngestBench.quietLogging();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Metrics.addRegistry(registry);
        TopologySettings settings = RestartBench.settings(args[2]);
        KafkaStreams streams = new KafkaStreams(
                TelemetryTopology.build(settings, new FlagDirectory(settings.flagHistoryVersions())),
                config(args[0], args[1], settings, Path.of(args[3])));
        streams.setUncaughtExceptionHandler(e -> {
            System.out.println("FAILED " + e);
            e.printStackTrace(System.out);
            System.out.flush();
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        streams.setStateListener((now, before) -> {
            if (now == KafkaStreams.State.RUNNING) {
                long tasks = streams.metadataForLocalThreads().stream()
                        .mapToLong(t -> t.activeTasks().size())
                        .sum();
                System.out.println(RUNNING + tasks);
                System.out.flush();
            }
        });
        ScheduledExecutorService reporter = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bench-metrics");
            t.setDaemon(true);
            return t;
        });
        reporter.scheduleAtFixedRate(() -> report(registry, streams), 500, 500, TimeUnit.MILLISECONDS);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            reporter.shutdownNow();
            streams.close(Duration.ofSeconds(30));
            report(registry, streams);
        }));
        streams.start();
        new CountDownLatch(1).await();
    }

    /**
     * The service's Kafka Streams settings (exactly-once v2, two stream threads, the default commit interval and
     * record cache), with the failure detection of the exactly-once test: a dead instance is noticed after 6 s (the
     * broker's minimum session timeout) and its open transaction aborted after 5 s.
     */
    static Properties config(String bootstrap, String applicationId, TopologySettings settings, Path stateDir) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 2);
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandler.class.getName());
        props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, ProcessingDeadLetterHandler.class.getName());
        props.putAll(settings.topics().deadLetterConfig());
        // The state stores' memory as the service bounds it (metrics-ingest README, "Memory").
        props.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedMemoryRocksDBConfig.class.getName());
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 6000);
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), 1000);
        props.put(StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG), 5000);
        return props;
    }

    private static void report(SimpleMeterRegistry registry, KafkaStreams streams) {
        double dropped = streams.metrics().entrySet().stream()
                .filter(e -> e.getKey().group().equals("stream-task-metrics")
                        && e.getKey().name().equals("dropped-records-total"))
                .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue())
                .sum();
        System.out.printf(
                "%slate.input=%d late.merge=%d dropped=%d%n",
                METRICS, late(registry, "input"), late(registry, "merge"), Math.round(dropped));
        System.out.flush();
    }

    private static long late(SimpleMeterRegistry registry, String stage) {
        List<Counter> counters = List.copyOf(registry.find("rollguard.ingest.late.events")
                .tag("stage", stage)
                .counters());
        return Math.round(counters.stream().mapToDouble(Counter::count).sum());
    }

    /** Starts a worker in a child JVM on this JVM's class path, its output appended to {@code log}. */
    static Process launch(String bootstrap, String appId, String prefix, Path stateDir, Path log) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(
                        java,
                        "-Xmx384m",
                        "-Djava.util.logging.manager=org.jboss.logmanager.LogManager",
                        "-cp",
                        System.getProperty("java.class.path"),
                        RestartWorker.class.getName(),
                        bootstrap,
                        appId,
                        prefix,
                        stateDir.toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
    }

    private RestartWorker() {}
}
