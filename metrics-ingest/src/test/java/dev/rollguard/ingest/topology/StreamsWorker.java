package dev.rollguard.ingest.topology;

import dev.rollguard.ingest.service.FlagDirectory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;

/**
 * A metrics-ingest Kafka Streams instance on its own, for the exactly-once test: run in a child JVM it can be killed
 * with SIGKILL, mid-transaction, like a crashed pod. Prints {@code RUNNING tasks=<n>} whenever it reaches RUNNING.
 *
 * <p>Arguments: bootstrap servers, application id, topic prefix, state directory.
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
        props.put(DeadLetterHandler.TOPIC_CONFIG, prefix + "telemetry.dlq");
        // A dead instance is noticed after 6 s (the broker's minimum) and its open transaction aborted after 5 s.
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 6000);
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), 1000);
        props.put(StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG), 5000);
        return props;
    }

    static KafkaStreams start(String bootstrap, String applicationId, String prefix, Path stateDir) {
        TopologySettings settings = settings(prefix);
        KafkaStreams streams = new KafkaStreams(
                TelemetryTopology.build(settings, new FlagDirectory(settings.flagHistoryVersions())),
                config(bootstrap, applicationId, prefix, stateDir));
        streams.setStateListener((now, before) -> {
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
        KafkaStreams streams = start(args[0], args[1], args[2], Path.of(args[3]));
        Runtime.getRuntime().addShutdownHook(new Thread(streams::close));
        new CountDownLatch(1).await();
    }

    private StreamsWorker() {}
}
