package dev.rollguard.ingest.topology;

import dev.rollguard.schemas.Topics;
import java.util.List;
import java.util.Map;

/** The topics the topology reads and writes; tests and benchmarks run it on topics of their own. */
public record TopicNames(String sync, String upload, String flags, String dlq, String windows) {

    public static final TopicNames DEFAULT = new TopicNames(
            Topics.TELEMETRY_SYNC,
            Topics.TELEMETRY_UPLOAD,
            Topics.FLAGS_CHANGES,
            Topics.TELEMETRY_DLQ,
            Topics.METRICS_WINDOWS);

    /** The topics of clients' telemetry events: sync, then upload. */
    public List<String> telemetry() {
        return List.of(sync, upload);
    }

    /**
     * The Streams properties that tell the exception handlers these names: the dead-letter topic, and the telemetry
     * topics whose records {@link ProcessingDeadLetterHandler} dead-letters (any other topic's are the service's own).
     */
    public Map<String, Object> deadLetterConfig() {
        return Map.of(
                DeadLetterHandler.TOPIC_CONFIG,
                dlq,
                ProcessingDeadLetterHandler.TELEMETRY_TOPICS_CONFIG,
                String.join(",", telemetry()));
    }

    /** The same topic names behind a prefix, e.g. {@code eos-1.telemetry.sync}. */
    public TopicNames prefixed(String prefix) {
        return new TopicNames(prefix + sync, prefix + upload, prefix + flags, prefix + dlq, prefix + windows);
    }
}
