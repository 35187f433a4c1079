package dev.rollguard.schemas.trace;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Locale;
import java.util.UUID;
import java.util.regex.Pattern;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * The request id and W3C trace context of one request or event, as every Rollguard service carries it: over HTTP in
 * {@code X-Request-Id} and {@code traceparent}, over Kafka in record headers of the same names. A malformed value is
 * never an error: it is ignored and a fresh one takes its place, so a caller can never break a request with it.
 *
 * @param requestId the request id the caller sent (printable, at most {@link #MAX_REQUEST_ID} characters), or a new
 *     UUID
 * @param traceId 32 lower-case hex digits, not all zero
 * @param spanId 16 lower-case hex digits of this hop, not all zero
 * @param sampled the caller's sampled flag
 */
public record TraceContext(String requestId, String traceId, String spanId, boolean sampled) {

    /** HTTP header and Kafka header of the request id. */
    public static final String REQUEST_ID = "X-Request-Id";
    /** HTTP header and Kafka header of the W3C trace context (https://www.w3.org/TR/trace-context/). */
    public static final String TRACEPARENT = "traceparent";
    /** Longest request id kept; a longer one is replaced. */
    public static final int MAX_REQUEST_ID = 128;
    /** MDC key of the request id in every service's log lines. */
    public static final String MDC_REQUEST_ID = "requestId";
    /** MDC key of the trace id (the key OpenTelemetry uses too). */
    public static final String MDC_TRACE_ID = "traceId";
    /** MDC key of the span id (the key OpenTelemetry uses too). */
    public static final String MDC_SPAN_ID = "spanId";

    private static final Pattern TRACEPARENT_FORMAT =
            Pattern.compile("([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?");
    private static final Pattern REQUEST_ID_FORMAT = Pattern.compile("[\\x21-\\x7e]{1," + MAX_REQUEST_ID + "}");
    private static final String ZERO_TRACE = "0".repeat(32);
    private static final String ZERO_SPAN = "0".repeat(16);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final HexFormat HEX = HexFormat.of();

    /**
     * The context of an incoming request or record: the caller's request id and trace id when well-formed, fresh
     * ones otherwise; always a new span id for this hop.
     */
    public static TraceContext accept(String requestId, String traceparent) {
        String id = validRequestId(requestId) ? requestId : newRequestId();
        String[] parent = parse(traceparent);
        if (parent == null) {
            return new TraceContext(id, newTraceId(), newSpanId(), true);
        }
        boolean sampled = (HEX.fromHexDigits(parent[1]) & 1) == 1;
        return new TraceContext(id, parent[0], newSpanId(), sampled);
    }

    /** A context that continues {@code traceId} (a fresh one if malformed) under {@code requestId}, in a new span. */
    public static TraceContext continueTrace(String requestId, String traceId) {
        String id = validRequestId(requestId) ? requestId : newRequestId();
        String trace = validTraceId(traceId) ? traceId : newTraceId();
        return new TraceContext(id, trace, newSpanId(), true);
    }

    /** The context carried by a Kafka record's headers (fresh ids for what is missing or malformed). */
    public static TraceContext fromHeaders(Headers headers) {
        return accept(lastValue(headers, REQUEST_ID), lastValue(headers, TRACEPARENT));
    }

    /** Whether the record's headers carry a request id or a well-formed trace context. */
    public static boolean present(Headers headers) {
        return validRequestId(lastValue(headers, REQUEST_ID)) || parse(lastValue(headers, TRACEPARENT)) != null;
    }

    /** The well-formed request id in a Kafka record's headers, or null. */
    public static String requestIdIn(Headers headers) {
        String value = lastValue(headers, REQUEST_ID);
        return validRequestId(value) ? value : null;
    }

    /** The trace id of a well-formed traceparent in a Kafka record's headers, or null. */
    public static String traceIdIn(Headers headers) {
        String[] parent = parse(lastValue(headers, TRACEPARENT));
        return parent == null ? null : parent[0];
    }

    /** The W3C {@code traceparent} value of this hop. */
    public String traceparent() {
        return "00-" + traceId + "-" + spanId + (sampled ? "-01" : "-00");
    }

    /** Writes this context to a Kafka record's headers, replacing any earlier values. */
    public void writeTo(Headers headers) {
        headers.remove(REQUEST_ID);
        headers.remove(TRACEPARENT);
        headers.add(REQUEST_ID, requestId.getBytes(StandardCharsets.UTF_8));
        headers.add(TRACEPARENT, traceparent().getBytes(StandardCharsets.UTF_8));
    }

    public static boolean validRequestId(String value) {
        return value != null && REQUEST_ID_FORMAT.matcher(value).matches();
    }

    public static boolean validTraceId(String value) {
        return value != null && value.length() == 32 && isLowerHex(value) && !ZERO_TRACE.equals(value);
    }

    public static String newRequestId() {
        return UUID.randomUUID().toString();
    }

    static String newTraceId() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        String id = HEX.formatHex(bytes);
        return ZERO_TRACE.equals(id) ? newTraceId() : id;
    }

    static String newSpanId() {
        byte[] bytes = new byte[8];
        RANDOM.nextBytes(bytes);
        String id = HEX.formatHex(bytes);
        return ZERO_SPAN.equals(id) ? newSpanId() : id;
    }

    /** Trace id and flags of a valid traceparent, or null. Version ff is invalid; a version 00 value has no suffix. */
    private static String[] parse(String traceparent) {
        if (traceparent == null) {
            return null;
        }
        var m = TRACEPARENT_FORMAT.matcher(traceparent.strip().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            return null;
        }
        String version = m.group(1);
        if ("ff".equals(version) || ("00".equals(version) && m.group(5) != null)) {
            return null;
        }
        if (ZERO_TRACE.equals(m.group(2)) || ZERO_SPAN.equals(m.group(3))) {
            return null;
        }
        // Upper-case hex is invalid by the specification.
        if (!traceparent.strip().equals(traceparent.strip().toLowerCase(Locale.ROOT))) {
            return null;
        }
        return new String[] {m.group(2), m.group(4)};
    }

    private static boolean isLowerHex(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return true;
    }

    private static String lastValue(Headers headers, String key) {
        if (headers == null) {
            return null;
        }
        Header header = headers.lastHeader(key);
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
