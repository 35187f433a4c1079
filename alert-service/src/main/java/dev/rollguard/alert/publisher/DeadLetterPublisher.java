package dev.rollguard.alert.publisher;

import dev.rollguard.schemas.Topics;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * Sends windows that cannot be evaluated or stored to {@code metrics.windows.dlq}: the original key and bytes, with
 * the reason and the source topic, partition and offset in the same headers SmallRye's dead-letter strategy uses.
 */
@ApplicationScoped
public class DeadLetterPublisher {

    public static final String CHANNEL = "windows-dlq";
    public static final String TOPIC = Topics.METRICS_WINDOWS_DLQ;
    public static final String REASON = "dead-letter-reason";
    public static final String SOURCE_TOPIC = "dead-letter-topic";
    public static final String SOURCE_PARTITION = "dead-letter-partition";
    public static final String SOURCE_OFFSET = "dead-letter-offset";

    private final MutinyEmitter<byte[]> emitter;

    public DeadLetterPublisher(@Channel(CHANNEL) MutinyEmitter<byte[]> emitter) {
        this.emitter = emitter;
    }

    /** A consumed record that cannot be evaluated: where it was read, its key and original bytes, and why. */
    public record DeadLetter(String topic, int partition, long offset, String key, byte[] raw, String reason) {}

    /**
     * Sends every rejected record and completes when the broker acknowledged them all, waiting for the broker while it
     * is unavailable: a window is never stored as handled before its dead letter is.
     */
    public Uni<Void> send(List<DeadLetter> rejected) {
        if (rejected.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return Uni.createFrom()
                .deferred(() -> Uni.join()
                        .all(rejected.stream().map(this::send).toList())
                        .andFailFast()
                        .replaceWithVoid())
                .onFailure()
                .invoke(failure -> Log.warnf("dead letters cannot be sent yet, retrying: %s", failure.getMessage()))
                .onFailure()
                .retry()
                .withBackOff(Duration.ofMillis(100), Duration.ofSeconds(5))
                .indefinitely();
    }

    private Uni<Void> send(DeadLetter record) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(REASON, record.reason().getBytes(StandardCharsets.UTF_8));
        headers.add(SOURCE_TOPIC, record.topic().getBytes(StandardCharsets.UTF_8));
        headers.add(SOURCE_PARTITION, Integer.toString(record.partition()).getBytes(StandardCharsets.UTF_8));
        headers.add(SOURCE_OFFSET, Long.toString(record.offset()).getBytes(StandardCharsets.UTF_8));
        OutgoingKafkaRecordMetadata<String> metadata = OutgoingKafkaRecordMetadata.<String>builder()
                .withKey(record.key())
                .withHeaders(headers)
                .build();
        return emitter.sendMessage(Message.of(record.raw()).addMetadata(metadata));
    }
}
