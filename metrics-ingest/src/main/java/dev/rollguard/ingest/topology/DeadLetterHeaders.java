package dev.rollguard.ingest.topology;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Headers;

/**
 * Headers of a telemetry.dlq record. The value is the original bytes (decoding and processing failures) or the event
 * re-encoded with the current schema (validation failures); the key is the original key.
 */
public final class DeadLetterHeaders {

    /** {@code DESERIALIZATION}, {@code VALIDATION}, {@code LATENESS} or {@code PROCESSING}. */
    public static final String STAGE = "rollguard.dlq.stage";
    /** Stable reason code: a decoding reason (e.g. NOT_SINGLE_OBJECT) or a validation code (e.g. NEGATIVE_VALUE). */
    public static final String CODE = "rollguard.dlq.code";
    /** Human-readable reason. */
    public static final String REASON = "rollguard.dlq.reason";
    /** Topic the record was read from. */
    public static final String SOURCE_TOPIC = "rollguard.dlq.source.topic";
    /** Partition the record was read from. */
    public static final String SOURCE_PARTITION = "rollguard.dlq.source.partition";
    /** Offset of the record in its source partition. */
    public static final String SOURCE_OFFSET = "rollguard.dlq.source.offset";

    public static final String STAGE_DESERIALIZATION = "DESERIALIZATION";
    public static final String STAGE_VALIDATION = "VALIDATION";
    /** A valid event that arrived after its window had closed (code {@code LATE}). */
    public static final String STAGE_LATENESS = "LATENESS";
    /** An event a processor failed on (code: the exception's class); the value is the original bytes. */
    public static final String STAGE_PROCESSING = "PROCESSING";

    private DeadLetterHeaders() {}

    /** Replaces the dead-letter headers of {@code headers} (a retried record must not carry two reasons). */
    public static Headers write(
            Headers headers, String stage, String code, String reason, String topic, int partition, long offset) {
        put(headers, STAGE, stage);
        put(headers, CODE, code);
        put(headers, REASON, reason);
        put(headers, SOURCE_TOPIC, topic);
        put(headers, SOURCE_PARTITION, Integer.toString(partition));
        put(headers, SOURCE_OFFSET, Long.toString(offset));
        return headers;
    }

    private static void put(Headers headers, String name, String value) {
        headers.remove(name);
        headers.add(name, (value == null ? "" : value).getBytes(StandardCharsets.UTF_8));
    }

    /** A header's value as text, or null. */
    public static String read(Headers headers, String name) {
        var header = headers.lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
