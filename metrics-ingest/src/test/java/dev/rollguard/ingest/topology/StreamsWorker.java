package dev.rollguard.ingest.topology;

import dev.rollguard.infra.EmbeddedKafka;
import dev.rollguard.ingest.service.FlagDirectory;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;

/**
 * A metrics-ingest Kafka Streams instance on its own, for the exactly-once test: run in a child JVM it can be killed
 * with SIGKILL, mid-transaction, like a crashed pod. Prints {@code RUNNING tasks=<n>} whenever it reaches RUNNING.
 *
 * <p>Arguments: bootstrap servers, application id, topic prefix, state directory, and optionally the settings:
 * {@code exactly-once} (the default, {@link #settings}) or {@code demo} ({@link #demoSettings}).
 */
public final class StreamsWorker {

    /**
     * The settings of the exactly-once test: 1 s windows, three input partitions, a grace long enough that nothing
     * there is ever late, and an idle timeout longer than the test, so that only the events close windows.
     */
    static TopologySettings settings(String prefix) {
        return TopologySettings.of(TopicNames.DEFAULT.prefixed(prefix), Duration.ofSeconds(1), Duration.ofMinutes(5))
                .withHopping(false, Duration.ofSeconds(5), Duration.ofSeconds(1))
                .withInputPartitions(3)
                .withIdleTimeout(Duration.ofHours(1));
    }

    /**
     * The demo's timings on three input partitions: 5 s windows, 5 s grace, 15 s idle timeout, as {@code
     * bin/rollguard demo} runs metrics-ingest.
     */
    static TopologySettings demoSettings(String prefix) {
        return TopologySettings.of(TopicNames.DEFAULT.prefixed(prefix), Duration.ofSeconds(5), Duration.ofSeconds(5))
                .withHopping(false, Duration.ofSeconds(15), Duration.ofSeconds(5))
                .withInputPartitions(3)
                .withIdleTimeout(Duration.ofSeconds(15));
    }

    /**
     * Creates the topics these tests' workers read and write under {@code topics}: the telemetry topics with three
     * partitions (the settings' input partitions), the windows with three, the flag changes and dead letters with one.
     */
    static void createTopics(String bootstrap, TopicNames topics) {
        EmbeddedKafka.createTopics(
                bootstrap,
                List.of(
                        new NewTopic(topics.sync(), 3, (short) 1),
                        new NewTopic(topics.upload(), 3, (short) 1),
                        new NewTopic(topics.flags(), 1, (short) 1),
                        new NewTopic(topics.dlq(), 1, (short) 1),
                        new NewTopic(topics.windows(), 3, (short) 1)));
    }

    /** Starts a worker in a child JVM, its output appended to {@code log}. */
    static Process launch(String bootstrap, String appId, String prefix, Path stateDir, Path log, String profile)
            throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(
                        java,
                        "-Xmx256m",
                        // The log manager the application uses; without it Kafka's TRACE lines are formatted per
                        // record.
                        "-Djava.util.logging.manager=org.jboss.logmanager.LogManager",
                        "-cp",
                        System.getProperty("java.class.path"),
                        StreamsWorker.class.getName(),
                        bootstrap,
                        appId,
                        prefix,
                        stateDir.toString(),
                        profile)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
    }

    static Properties config(String bootstrap, String applicationId, String prefix, Path stateDir) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        // Without the record cache every state change reaches its changelog at once, between commits: only the
        // transactions of exactly-once then keep a crash from double counting (at-least-once fails this test).
        props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        props.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandler.class.getName());
        props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, ProcessingDeadLetterHandler.class.getName());
        props.putAll(TopicNames.DEFAULT.prefixed(prefix).deadLetterConfig());
        // The service's bound on RocksDB's memory, at its default size: the stores and the dedup segments share it.
        props.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedMemoryRocksDBConfig.class.getName());
        // A dead instance is noticed after 6 s (the broker's minimum) and its open transaction aborted after 5 s.
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 6000);
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), 1000);
        props.put(StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG), 5000);
        return props;
    }

    /**
     * The configuration of the service for the demo profile: its record cache and transaction timeout, which a
     * restarted instance does not need shortened (it fences its own earlier transactions at once).
     */
    static Properties demoConfig(String bootstrap, String applicationId, String prefix, Path stateDir) {
        Properties props = config(bootstrap, applicationId, prefix, stateDir);
        props.remove(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG);
        props.remove(StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG));
        return props;
    }

    static KafkaStreams start(String bootstrap, String applicationId, String prefix, Path stateDir) {
        return start(bootstrap, applicationId, prefix, stateDir, settings(prefix));
    }

    static KafkaStreams start(
            String bootstrap, String applicationId, String prefix, Path stateDir, TopologySettings settings) {
        return start(settings, config(bootstrap, applicationId, prefix, stateDir));
    }

    static KafkaStreams start(TopologySettings settings, Properties config) {
        KafkaStreams streams = new KafkaStreams(
                TelemetryTopology.build(settings, new FlagDirectory(settings.flagHistoryVersions())), config);
        streams.setUncaughtExceptionHandler(e -> {
            System.out.println("FAILED " + e);
            e.printStackTrace(System.out);
            System.out.flush();
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        streams.setStateListener((now, before) -> {
            System.out.println("STATE " + before + " -> " + now + " at " + java.time.Instant.now());
            if (now == KafkaStreams.State.RUNNING) {
                long tasks = streams.metadataForLocalThreads().stream()
                        .mapToLong(t -> t.activeTasks().size())
                        .sum();
                System.out.println("RUNNING tasks=" + tasks);
                System.out.flush();
            }
        });
        streams.start();
        return streams;
    }

    public static void main(String[] args) throws InterruptedException {
        String profile = args.length > 4 ? args[4] : "exactly-once";
        boolean demo = "demo".equals(profile);
        KafkaStreams streams = demo
                ? start(demoSettings(args[2]), demoConfig(args[0], args[1], args[2], Path.of(args[3])))
                : start(args[0], args[1], args[2], Path.of(args[3]), settings(args[2]));
        Runtime.getRuntime().addShutdownHook(new Thread(streams::close));
        new CountDownLatch(1).await();
    }

    private StreamsWorker() {}
}
