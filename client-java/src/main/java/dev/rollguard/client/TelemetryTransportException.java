package dev.rollguard.client;

/**
 * A batch not delivered. Retryable when the receiver or the network may recover (connection refused, timeout, HTTP
 * 408, 429 and 5xx, a Kafka retriable error); not when the request itself is wrong (HTTP 400, 401, 403): sending it
 * again would fail the same way.
 */
public final class TelemetryTransportException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final boolean retryable;
    private final String code;

    public TelemetryTransportException(String code, String message, boolean retryable, Throwable cause) {
        super(message, cause);
        this.code = code;
        this.retryable = retryable;
    }

    /** Whether sending the same batch again may succeed. */
    public boolean retryable() {
        return retryable;
    }

    /** A stable code: the receiver's error code when it gave one, else {@code UNREACHABLE} or {@code HTTP_<status>}. */
    public String code() {
        return code;
    }
}
