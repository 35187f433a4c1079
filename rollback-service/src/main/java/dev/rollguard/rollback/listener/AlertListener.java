package dev.rollguard.rollback.listener;

import dev.rollguard.rollback.service.RollbackService;
import dev.rollguard.schemas.Topics;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.serde.Decoded;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.kafka.common.header.Header;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * Reads the alerts topic, one record at a time in partition order. A record is acknowledged only once its action is
 * recorded (for a flag change: after the flag-service confirmed it), and the throttled commit strategy commits an
 * offset only when every record before it is acknowledged: a crash at any point re-reads the alert, and its
 * idempotency key makes the second reading harmless.
 *
 * <p>Records that cannot be decoded, and alerts whose handling fails for a reason that retrying cannot fix (an alert
 * the database refuses to store, a defect met while deciding), are nacked to the dead-letter topic {@value
 * #DEAD_LETTER_TOPIC} with their original bytes (alerts arrive with the bytes they were decoded from, {@link Decoded})
 * and the reason in the {@code dead-letter-reason} header; the guard goes on with the next alert.
 */
@ApplicationScoped
public class AlertListener {

    /** Incoming channel bound to the alerts topic. */
    public static final String CHANNEL = "alerts";

    /** Where undecodable or unprocessable alerts go (configured on the channel). */
    public static final String DEAD_LETTER_TOPIC = Topics.ALERTS_DLQ;

    private static final String DESERIALIZATION_FAILURE_REASON = "deserialization-failure-reason";

    private final RollbackService rollbacks;

    public AlertListener(RollbackService rollbacks) {
        this.rollbacks = rollbacks;
    }

    @Incoming(CHANNEL)
    public Uni<Void> onAlert(Message<Decoded<AlertEvent>> message) {
        Instant receivedAt = Instant.now();
        Decoded<AlertEvent> decoded = message.getPayload();
        if (decoded == null) {
            String reason = "alert record has no readable value: " + decodingFailure(message);
            Log.warn(reason);
            return Uni.createFrom().completionStage(() -> message.nack(new UnreadableAlertException(reason)));
        }
        AlertEvent alert = decoded.event();
        // Deferred, so that a failure thrown while the handling is set up is nacked like any other.
        return Uni.createFrom()
                .deferred(() -> rollbacks.onAlert(alert, receivedAt))
                .onItemOrFailure()
                .transformToUni((done, failure) -> {
                    if (failure == null) {
                        return Uni.createFrom().completionStage(message::ack);
                    }
                    Log.errorf(
                            failure,
                            "alert %s cannot be handled; sending it to %s",
                            alert.getAlertId(),
                            DEAD_LETTER_TOPIC);
                    return Uni.createFrom().completionStage(() -> message.nack(failure));
                });
    }

    private static String decodingFailure(Message<?> message) {
        return message.getMetadata(IncomingKafkaRecordMetadata.class)
                .map(metadata -> {
                    Header header = metadata.getHeaders().lastHeader(DESERIALIZATION_FAILURE_REASON);
                    return header == null
                            ? "empty value (tombstone)"
                            : new String(header.value(), StandardCharsets.UTF_8);
                })
                .orElse("unknown");
    }

    /** An alert record that does not decode as an AlertEvent. */
    public static class UnreadableAlertException extends RuntimeException {
        public UnreadableAlertException(String message) {
            super(message);
        }
    }
}
