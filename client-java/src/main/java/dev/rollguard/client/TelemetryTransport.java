package dev.rollguard.client;

import java.time.Clock;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;

/**
 * How a {@link TelemetryClient} delivers one batch: {@link HttpTelemetryTransport} ({@code POST /api/telemetry}) or
 * {@link KafkaTelemetryTransport} (the telemetry topics, Avro). A transport is called by one thread at a time.
 */
public interface TelemetryTransport extends AutoCloseable {

    /**
     * Delivers {@code events} (sync and upload events, at most the client's batch size) and returns the events the
     * receiver refused for good, by index in {@code events}; every other event is delivered when this returns.
     *
     * @throws TelemetryTransportException when the batch was not delivered; {@link
     *     TelemetryTransportException#retryable()} says whether sending the same batch again may succeed
     */
    List<Rejection> send(List<SpecificRecord> events);

    /**
     * Told by {@link TelemetryClient.Builder#build()} the clock given to {@link TelemetryClient.Builder#clock}, when
     * one was given: the clock of the event times, which a transport that stamps its requests ({@link
     * HttpTelemetryTransport}'s {@code sentAt}) must read too. A transport that wraps another passes it on. Does
     * nothing by default.
     */
    default void useClock(Clock clock) {}

    @Override
    default void close() {}

    /** An event refused for good: its index in the batch, a stable code and a reason for people. */
    record Rejection(int index, String code, String reason) {}
}
