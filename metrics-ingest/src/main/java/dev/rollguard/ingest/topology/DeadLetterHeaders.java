package dev.rollguard.ingest.topology;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CodingErrorAction;
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
    /** Human-readable reason, at most {@link #MAX_REASON_BYTES} bytes of UTF-8 (cut with "…" beyond). */
    public static final String REASON = "rollguard.dlq.reason";
    /**
     * The longest reason kept: a reason naming a field of the event (an attribute name, a value) is cut here, so that the
     * dead letter, the event and its headers, stays within the size of the record it came from plus a little, which
     * the broker and the producer accept.
     */
    public static final int MAX_REASON_BYTES = 1024;
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
        put(headers, REASON, capped(reason));
        put(headers, SOURCE_TOPIC, topic);
        put(headers, SOURCE_PARTITION, Integer.toString(partition));
        put(headers, SOURCE_OFFSET, Long.toString(offset));
        return headers;
    }

    /** {@code reason} cut to at most {@link #MAX_REASON_BYTES} bytes of UTF-8, on a character boundary, with "…". */
    static String capped(String reason) {
        if (reason == null || reason.length() * 3L <= MAX_REASON_BYTES) {
            return reason;
        }
        byte[] bytes = reason.getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= MAX_REASON_BYTES) {
            return reason;
        }
        String ellipsis = "…";
        // The encoder stops before the first character that does not fit, never within one (a surrogate pair too).
        CharBuffer in = CharBuffer.wrap(reason);
        StandardCharsets.UTF_8
                .newEncoder()
                .onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE)
                .encode(
                        in,
                        ByteBuffer.allocate(MAX_REASON_BYTES - ellipsis.getBytes(StandardCharsets.UTF_8).length),
                        true);
        return reason.substring(0, in.position()) + ellipsis;
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
