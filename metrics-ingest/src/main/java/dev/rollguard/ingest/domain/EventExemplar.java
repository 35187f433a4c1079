package dev.rollguard.ingest.domain;

import java.util.Comparator;

/**
 * A failed event a window keeps as an example, named by the request id and trace id it came with, so that an alert
 * on the window can be followed back to requests.
 *
 * @param requestId the X-Request-Id the event came with, or null
 * @param traceId the W3C trace id the event came with, or null
 */
public record EventExemplar(String eventId, long eventTime, String requestId, String traceId) {

    /** Earliest first; the event id breaks ties, so every task and every merge order keeps the same ones. */
    public static final Comparator<EventExemplar> EARLIEST_FIRST =
            Comparator.comparingLong(EventExemplar::eventTime).thenComparing(EventExemplar::eventId);
}
