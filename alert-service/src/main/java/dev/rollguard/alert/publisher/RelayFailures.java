package dev.rollguard.alert.publisher;

import java.util.Set;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;

/**
 * Tells a relayed transition that can never be sent from one that can be sent again later.
 *
 * <p>Permanent, so dead-lettered: the failures Kafka raises for the record itself, whatever the broker's or the
 * producer's state: {@link RecordTooLargeException} (larger than the producer's {@code max.request.size} or the
 * topic's {@code max.message.bytes}; the producer splits a batch of several records the broker finds too large and
 * reports it only for a record alone) and a {@link SerializationException} of the serializer; a stored row that is
 * empty, not Avro or malformed is judged by the relay before any send. None of these is a Kafka {@code
 * RetriableException}.
 *
 * <p>Not {@link InvalidRecordException}: the producer ({@code Sender.failBatch}, kafka-clients 4.1) gives it to every
 * record of a batch of several whatever the broker's error was, a timestamp refused for the clock
 * ({@code InvalidTimestampException}) included, and the {@code alerts} topic's one partition puts the records of
 * different alerts in one batch; dead-lettering on it would drop transitions that a later round would send.
 *
 * <p>Everything else is transient and sent again by the poll in stored order, as before: every {@code
 * RetriableException} (timeouts, not leader, unknown topic or partition, a corrupt request), and the non-retriable
 * failures that concern the producer, the topic or the client rather than the record (authorization, a fenced or
 * failed idempotent producer, an out-of-order sequence, a producer closing, a record refused as invalid, a timestamp
 * refused because of the clock, a {@code RecordBatchTooLargeException} about a batch that may hold other alerts'
 * records), which a record of any size would meet too: dead-lettering on those would drop every transition of an
 * outage. Only the failure itself is judged, never its causes: a record that failed unsent because an earlier one of
 * its alert failed carries that failure as its cause but is not itself unsendable.
 *
 * <p>The one window left: a record the broker refused as over the topic's {@code max.message.bytes} on its send
 * after commit lets its alert's next transition go at once; if an operator raises the limit before the poll round
 * that dead-letters it (started right after the failure), or that round's transaction fails, a later round sends it
 * after that next transition.
 */
public final class RelayFailures {

    private static final Set<Class<? extends Throwable>> PERMANENT =
            Set.of(RecordTooLargeException.class, SerializationException.class);

    /** Metric causes of a dead-lettered transition. */
    static final String REFUSED = "refused";

    static final String UNSERIALIZABLE = "unserializable";
    static final String UNDECODABLE = "undecodable";

    private RelayFailures() {}

    /** Whether the record that failed so can never be sent. */
    public static boolean permanent(Throwable failure) {
        return failure != null && PERMANENT.stream().anyMatch(type -> type.isInstance(failure));
    }

    /** The stored reason of a transition dead-lettered for this permanent failure. */
    static String reason(Throwable failure) {
        String kind = failure instanceof SerializationException ? "cannot be serialized" : "refused by Kafka";
        return kind + " (" + failure.getClass().getSimpleName() + "): " + failure.getMessage();
    }

    /** The metric cause of a transition dead-lettered for this permanent failure. */
    static String cause(Throwable failure) {
        return failure instanceof SerializationException ? UNSERIALIZABLE : REFUSED;
    }
}
