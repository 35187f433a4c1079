package dev.rollguard.ingest.topology;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.utils.ByteUtils;
import org.apache.kafka.common.utils.Utils;

/**
 * Headers of a telemetry.dlq record. The value is the original bytes (decoding and processing failures) or the event
 * re-encoded with the current schema (validation failures); the key is the original key. A dead letter that would be
 * larger than {@link #MAX_BYTES} leaves out what does not fit ({@link #fit}).
 */
public final class DeadLetterHeaders {

    /** {@code DESERIALIZATION}, {@code VALIDATION}, {@code LATENESS} or {@code PROCESSING}. */
    public static final String STAGE = "rollguard.dlq.stage";
    /** Stable reason code: a decoding reason (e.g. NOT_SINGLE_OBJECT) or a validation code (e.g. NEGATIVE_VALUE). */
    public static final String CODE = "rollguard.dlq.code";
    /** Human-readable reason, at most {@link #MAX_REASON_BYTES} bytes of UTF-8 (cut with "…" beyond). */
    public static final String REASON = "rollguard.dlq.reason";
    /**
     * The longest reason kept: a reason naming a field of the event (an attribute name, a value) is cut here, so that a
     * dead letter's own headers stay small beside the record it came from (a dead letter larger than {@link #MAX_BYTES}
     * leaves out the record's value instead).
     */
    public static final int MAX_REASON_BYTES = 1024;
    /** Topic the record was read from. */
    public static final String SOURCE_TOPIC = "rollguard.dlq.source.topic";
    /** Partition the record was read from. */
    public static final String SOURCE_PARTITION = "rollguard.dlq.source.partition";
    /** Offset of the record in its source partition. */
    public static final String SOURCE_OFFSET = "rollguard.dlq.source.offset";
    /**
     * What the dead letter left out to stay within {@link #MAX_BYTES}, each part with the bytes it had: {@code
     * value=<n>}, then {@code headers=<n>} (the headers the record came with), then {@code key=<n>}, comma-separated;
     * absent when nothing was left out. The record itself is where the source headers say, for as long as its topic
     * keeps it.
     */
    public static final String OMITTED = "rollguard.dlq.omitted";
    /**
     * The largest dead letter written whole, key, value and headers: below the producer's default {@code
     * max.request.size} (1 MiB) and the broker's default {@code message.max.bytes}, with room for the batch around it.
     * A record near the broker's limit plus the dead-letter headers would be refused by the producer, and a dead letter
     * that cannot be written stops its input partition, every window with it.
     */
    public static final int MAX_BYTES = 1_000_000;
    /**
     * What a record costs beyond its key, value and headers, its batch's header included: generous (Kafka counts 61
     * bytes of batch header and at most 21 of record overhead).
     */
    private static final int RECORD_OVERHEAD = 128;
    /** What a header costs beyond its name and value, at most: two variable-length sizes. */
    private static final int HEADER_OVERHEAD = 10;
    /**
     * The headers {@link #write} sets, each of bounded size; a header the record came with under one of these names is
     * replaced by the dead letter's own, and any other header is the record's.
     */
    private static final Set<String> OWN =
            Set.of(STAGE, CODE, REASON, SOURCE_TOPIC, SOURCE_PARTITION, SOURCE_OFFSET, OMITTED);

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

    /**
     * A dead letter as {@link #fit} leaves it: whether its value and its key are left out, and the headers to write
     * (those given, or, when anything is left out, a copy with {@link #OMITTED} and without what was left out).
     */
    public record Fit(boolean valueOmitted, boolean keyOmitted, Headers headers) {}

    /**
     * Makes a dead letter of a key of {@code keyBytes} (-1: none), a value of {@code valueBytes} (-1: none) and {@code
     * headers} (the dead-letter headers already written) fit within {@link #MAX_BYTES}: if it does not, the value is
     * left out; if it still does not, the headers the record came with (every header but those {@link #write} sets);
     * then the key. What was left out is named in {@link #OMITTED}; the caller writes the value, key and headers the
     * result says. {@code headers} is never changed.
     */
    public static Fit fit(int keyBytes, int valueBytes, Headers headers) {
        long own = 0;
        long foreign = 0;
        for (Header header : headers) {
            if (OWN.contains(header.key())) {
                own += size(header);
            } else {
                foreign += size(header);
            }
        }
        long key = Math.max(keyBytes, 0);
        long value = Math.max(valueBytes, 0);
        if (RECORD_OVERHEAD + key + value + own + foreign <= MAX_BYTES) {
            return new Fit(false, false, headers);
        }
        // The omitted header itself: three parts of at most 20 characters each.
        long omitted = OMITTED.length() + 64 + HEADER_OVERHEAD;
        List<String> parts = new ArrayList<>(3);
        boolean dropValue = valueBytes >= 0;
        if (dropValue) {
            parts.add("value=" + value);
        }
        boolean dropHeaders = RECORD_OVERHEAD + key + own + foreign + omitted > MAX_BYTES;
        if (dropHeaders) {
            parts.add("headers=" + foreign);
        }
        // The dead letter's own headers are bounded (the reason by MAX_REASON_BYTES), so without the value and the
        // headers it came with, the key is all that can still be too large.
        boolean dropKey =
                keyBytes >= 0 && RECORD_OVERHEAD + key + own + (dropHeaders ? 0 : foreign) + omitted > MAX_BYTES;
        if (dropKey) {
            parts.add("key=" + key);
        }
        // One pass: removing headers one by one from a record with very many would take time of their number squared.
        RecordHeaders kept = new RecordHeaders();
        for (Header header : headers) {
            if (!header.key().equals(OMITTED) && (!dropHeaders || OWN.contains(header.key()))) {
                kept.add(header);
            }
        }
        kept.add(OMITTED, String.join(",", parts).getBytes(StandardCharsets.UTF_8));
        return new Fit(dropValue, dropKey, kept);
    }

    /** What a header adds to a record, as Kafka's record format counts it (variable-length sizes), or a little more. */
    private static long size(Header header) {
        int name = Utils.utf8Length(header.key());
        int value = header.value() == null ? 0 : header.value().length;
        return ByteUtils.sizeOfVarint(name) + name + ByteUtils.sizeOfVarint(value) + value;
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
