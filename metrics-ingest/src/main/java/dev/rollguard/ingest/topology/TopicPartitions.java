package dev.rollguard.ingest.topology;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;

/** The partition count of the telemetry topics: the number of input tasks whose progress closes a window. */
public final class TopicPartitions {

    private TopicPartitions() {}

    /**
     * The largest partition count of the telemetry topics, waiting up to {@code wait} for them to exist (Kafka
     * Streams runs one input task per partition number, and the repartition by scope gets as many partitions).
     */
    public static int inputPartitions(String bootstrapServers, TopicNames topics, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        try (Admin admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                (int) Math.min(Integer.MAX_VALUE, wait.toMillis())))) {
            RuntimeException last = null;
            while (System.nanoTime() < deadline) {
                try {
                    Map<String, TopicDescription> described = admin.describeTopics(
                                    List.of(topics.sync(), topics.upload()))
                            .allTopicNames()
                            .get(Math.max(1, (deadline - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS);
                    return described.values().stream()
                            .mapToInt(d -> d.partitions().size())
                            .max()
                            .orElseThrow();
                } catch (ExecutionException e) {
                    last = new IllegalStateException(
                            "cannot describe the telemetry topics " + topics.sync() + ", " + topics.upload() + ": "
                                    + e.getCause().getMessage(),
                            e.getCause());
                    sleepBriefly();
                } catch (TimeoutException e) {
                    break;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while describing the telemetry topics", e);
                }
            }
            throw last != null
                    ? last
                    : new IllegalStateException("the telemetry topics " + topics.sync() + ", " + topics.upload()
                            + " were not described within " + wait);
        }
    }

    private static void sleepBriefly() {
        try {
            Thread.sleep(500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
