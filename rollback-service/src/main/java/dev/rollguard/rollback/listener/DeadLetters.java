package dev.rollguard.rollback.listener;

import dev.rollguard.rollback.service.GuardMetrics;
import io.micrometer.core.instrument.Counter;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * Sends alert records to the dead-letter topic by nacking them (the channel's failure strategy does the sending). A
 * record whose dead letter cannot be sent is neither acknowledged nor dead-lettered: it holds the committed offset of
 * its partition until the service restarts and reads it again. That is counted ({@code
 * rollguard.rollback.alerts.nack.failed}) and logged once at ERROR with the record's topic, partition and offset; the
 * failure is not passed on, so nothing logs or nacks it a second time and the alert's lane goes on.
 */
final class DeadLetters {

    private final Counter failed;

    DeadLetters(GuardMetrics metrics) {
        this.failed = metrics.nacksFailed();
    }

    /** Nacks {@code message} with {@code reason}; completes once the dead letter is sent or its failure recorded. */
    Uni<Void> send(Message<?> message, Throwable reason) {
        return Uni.createFrom()
                .completionStage(() -> message.nack(reason))
                .onFailure()
                .recoverWithUni(failure -> {
                    failed.increment();
                    Log.errorf(
                            failure,
                            "%s could not be sent to %s; it stays unacknowledged and holds the committed offset of its"
                                    + " partition until the service restarts and reads it again",
                            where(message),
                            AlertListener.DEAD_LETTER_TOPIC);
                    return Uni.createFrom().voidItem();
                });
    }

    private static String where(Message<?> message) {
        return message.getMetadata(IncomingKafkaRecordMetadata.class)
                .map(record -> "record " + record.getTopic() + " partition " + record.getPartition() + " offset "
                        + record.getOffset())
                .orElse("a record of unknown position");
    }
}
