package dev.rollguard.client;

import org.apache.avro.specific.SpecificRecord;

/**
 * What a {@link TelemetryClient} could not deliver, for the app's log or metrics. Called on the sender thread. What a
 * method throws is logged by the client (once per method at WARNING) and changes nothing else.
 */
public interface TelemetryListener {

    /** The receiver refused {@code event} for good ({@code code} is its error code, e.g. {@code INVALID_CHARACTER}). */
    default void rejected(SpecificRecord event, String code, String reason) {}

    /**
     * {@code event} was given up without a delivery: the offline queue was full (the oldest event goes), the client
     * closed before the receiver came back, or the event was sent after the client closed (then on the thread that
     * sent it).
     */
    default void dropped(SpecificRecord event, String reason) {}

    /**
     * Flags were evaluated for {@code evaluatedSubjects} targeting keys, none of them {@code subject}, the event's
     * {@code userId} (else its client id): the event goes without exposures (see {@link TelemetryClient.KeyMismatch}).
     * Called on the thread that sent the event.
     */
    default void keyMismatch(String subject, int evaluatedSubjects) {}

    /**
     * A batch failed and will be sent again after {@code delayMillis}: the receiver is unreachable or busy ({@code
     * code} is the transport's), or the transport failed in a way it did not foresee ({@code code} {@code
     * UNEXPECTED_FAILURE}, {@code message} the exception).
     */
    default void retrying(int events, String code, String message, long delayMillis) {}
}
