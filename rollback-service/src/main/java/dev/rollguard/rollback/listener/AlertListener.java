package dev.rollguard.rollback.listener;

import dev.rollguard.rollback.config.GuardConfig;
import dev.rollguard.rollback.service.GuardMetrics;
import dev.rollguard.rollback.service.RollbackService;
import dev.rollguard.schemas.Topics;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.serde.Decoded;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.Startup;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.apache.kafka.common.header.Header;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * Reads the alerts topic in partition order and hands each alert to the lane of its flag ({@link
 * RollbackService#orderKey}): the alerts of one flag are handled one after another in the order they were read, those
 * of different flags side by side, so an alert waiting for the flag-service (its 5xx for that flag, a change that keeps
 * timing out) holds back only the later alerts of the same flag. At most {@code
 * rollback-service.listener.max-in-flight} alerts are handled at once; an alert queued in its lane takes none of those
 * places. The next record is read as soon as the alert is in its lane, unless {@code
 * rollback-service.listener.max-queued} alerts are queued: then reading waits until one of them starts.
 *
 * <p>A record is acknowledged only once its action is recorded (for a flag change: after the flag-service confirmed
 * it). Records are acknowledged out of order, and the throttled commit strategy commits an offset only when it and
 * every record before it are acknowledged: a crash at any point re-reads every alert not finished (and some finished
 * after it), and the idempotency key makes the second reading harmless. On stop, the alerts being handled get {@code
 * rollback-service.listener.shutdown-grace} to finish; the others are neither acknowledged nor sent to the dead-letter
 * topic, so the next start reads them again.
 *
 * <p>Records that cannot be decoded, and alerts whose handling fails for a reason that retrying cannot fix (an alert
 * the database refuses to store, a defect met while deciding), are nacked to the dead-letter topic {@value
 * #DEAD_LETTER_TOPIC} with their original bytes (alerts arrive with the bytes they were decoded from, {@link Decoded})
 * and the reason in the {@code dead-letter-reason} header; the guard goes on with the next alert. A record whose dead
 * letter cannot be sent stays unacknowledged and holds its partition's committed offset until a restart; {@link
 * DeadLetters} counts it and logs it once.
 *
 * <p>Each alert is handled on the Vert.x context its record arrived on, also when it waited in its lane for an earlier
 * alert of its flag ({@link AlertLanes}), so its log lines carry its own record's trace id.
 */
@ApplicationScoped
// Built at start, not at the first alert: its meters (in flight, waiting, failed dead letters) read 0 from the start,
// so a failure met by the first record read after a restart still moves a series Prometheus has seen.
@Startup
public class AlertListener {

    /** Incoming channel bound to the alerts topic. */
    public static final String CHANNEL = "alerts";

    /** Where undecodable or unprocessable alerts go (configured on the channel). */
    public static final String DEAD_LETTER_TOPIC = Topics.ALERTS_DLQ;

    private static final String DESERIALIZATION_FAILURE_REASON = "deserialization-failure-reason";

    private final RollbackService rollbacks;
    private final GuardMetrics metrics;
    private final Duration shutdownGrace;
    private final AlertLanes lanes;
    private final DeadLetters deadLetters;

    public AlertListener(RollbackService rollbacks, GuardMetrics metrics, GuardConfig config) {
        this.rollbacks = rollbacks;
        this.metrics = metrics;
        this.shutdownGrace = config.listener().shutdownGrace();
        this.lanes = new AlertLanes(
                config.listener().maxInFlight(), config.listener().maxQueued());
        this.deadLetters = new DeadLetters(metrics);
        metrics.lanes(lanes::inFlight, lanes::waiting);
    }

    @Incoming(CHANNEL)
    public Uni<Void> onAlert(Message<Decoded<AlertEvent>> message) {
        Instant receivedAt = Instant.now();
        Decoded<AlertEvent> decoded = message.getPayload();
        if (decoded == null) {
            String reason = "alert record has no readable value: " + decodingFailure(message);
            Log.warn(reason);
            return deadLetters.send(message, new UnreadableAlertException(reason));
        }
        AlertEvent alert = decoded.event();
        return lanes.submit(rollbacks.orderKey(alert), () -> handle(message, alert, receivedAt));
    }

    /** The alert's handling to its end: acknowledged, or sent to the dead-letter topic. */
    private Uni<Void> handle(Message<?> message, AlertEvent alert, Instant receivedAt) {
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
                    return deadLetters.send(message, failure);
                });
    }

    /**
     * Runs before the Kafka connector closes the consumer (it does so when the application's beans are destroyed), so
     * the alerts that finish in the grace period are acknowledged and committed.
     */
    void onStop(@Observes ShutdownEvent stop) {
        int inFlight = lanes.inFlight();
        if (inFlight > 0) {
            Log.infof("stopping: %d alert(s) in flight get up to %s to finish", inFlight, shutdownGrace);
        }
        int left = lanes.stop(shutdownGrace);
        if (left > 0) {
            metrics.abandoned(left);
            Log.warnf(
                    "stopping: %d alert(s) not finished and not acknowledged; they are read again at the next start",
                    left);
        }
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
