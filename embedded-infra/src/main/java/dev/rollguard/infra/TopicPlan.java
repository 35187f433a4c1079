package dev.rollguard.infra;

import dev.rollguard.schemas.Topics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * The topics of DESIGN.md with their partitions and retention, as the local stack and the tests create them. The
 * Kubernetes deployment declares the same topics as Strimzi resources with production replication.
 */
public final class TopicPlan {

    private TopicPlan() {}

    /** Every Rollguard topic, telemetry topics with {@code telemetryPartitions} partitions, replication 1. */
    public static List<NewTopic> all(int telemetryPartitions) {
        return List.of(
                topic(Topics.TELEMETRY_SYNC, telemetryPartitions, retention(Duration.ofDays(7))),
                topic(Topics.TELEMETRY_UPLOAD, telemetryPartitions, retention(Duration.ofDays(7))),
                topic(Topics.TELEMETRY_DLQ, 1, retention(Duration.ofDays(14))),
                topic(
                        Topics.FLAGS_CHANGES,
                        1,
                        Map.of("cleanup.policy", "compact", "min.compaction.lag.ms", "60000", "segment.ms", "3600000")),
                topic(Topics.METRICS_WINDOWS, telemetryPartitions, retention(Duration.ofDays(7))),
                topic(Topics.METRICS_WINDOWS_DLQ, 1, retention(Duration.ofDays(14))),
                topic(Topics.ALERTS, 1, retention(Duration.ofDays(30))),
                topic(Topics.ALERTS_DLQ, 1, retention(Duration.ofDays(14))),
                topic(Topics.ROLLBACKS, 1, retention(Duration.ofDays(365))),
                topic(Topics.ROLLOUTS, 1, retention(Duration.ofDays(365))),
                // Each slice of evaluated keys is republished while it fills: compaction keeps its latest copy, and
                // slices older than metrics-ingest's look-back (1 h by default) are of no use after 6 hours.
                topic(
                        Topics.EVALUATED_KEYS,
                        1,
                        Map.of(
                                "cleanup.policy",
                                "compact,delete",
                                "retention.ms",
                                Long.toString(Duration.ofHours(6).toMillis()),
                                "segment.ms",
                                "3600000")));
    }

    private static Map<String, String> retention(Duration retention) {
        return Map.of("cleanup.policy", "delete", "retention.ms", Long.toString(retention.toMillis()));
    }

    private static NewTopic topic(String name, int partitions, Map<String, String> configs) {
        return new NewTopic(name, partitions, (short) 1).configs(configs);
    }
}
