package dev.rollguard.ingest.topology;

import dev.rollguard.schemas.Topics;

/** The topics the topology reads and writes; tests and benchmarks run it on topics of their own. */
public record TopicNames(String sync, String upload, String flags, String dlq, String windows) {

    public static final TopicNames DEFAULT = new TopicNames(
            Topics.TELEMETRY_SYNC,
            Topics.TELEMETRY_UPLOAD,
            Topics.FLAGS_CHANGES,
            Topics.TELEMETRY_DLQ,
            Topics.METRICS_WINDOWS);

    /** The same topic names behind a prefix, e.g. {@code eos-1.telemetry.sync}. */
    public TopicNames prefixed(String prefix) {
        return new TopicNames(prefix + sync, prefix + upload, prefix + flags, prefix + dlq, prefix + windows);
    }
}
