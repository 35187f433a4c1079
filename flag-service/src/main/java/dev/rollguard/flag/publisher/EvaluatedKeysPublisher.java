package dev.rollguard.flag.publisher;

import dev.rollguard.schemas.event.EvaluatedKeysEvent;
import dev.rollguard.schemas.serde.AvroCodec;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;

/** Sends slices of evaluated targeting keys to evaluated.keys and counts what the broker acknowledged. */
@ApplicationScoped
public class EvaluatedKeysPublisher {

    public static final String CHANNEL = "evaluated-keys-out";

    private static final AvroCodec<EvaluatedKeysEvent> CODEC = AvroCodec.of(EvaluatedKeysEvent.class);

    private final MutinyEmitter<byte[]> emitter;
    private final Counter acknowledged;
    private final Counter failed;

    public EvaluatedKeysPublisher(@Channel(CHANNEL) MutinyEmitter<byte[]> emitter, MeterRegistry registry) {
        this.emitter = emitter;
        this.acknowledged = Counter.builder("rollguard.evaluated.keys.published")
                .description("Slices of evaluated targeting keys sent to evaluated.keys, by outcome")
                .tag("outcome", "acknowledged")
                .register(registry);
        this.failed = Counter.builder("rollguard.evaluated.keys.published")
                .description("Slices of evaluated targeting keys sent to evaluated.keys, by outcome")
                .tag("outcome", "failed")
                .register(registry);
    }

    /** Sends one slice under {@code key}; completes when the broker acknowledged it, fails when it did not. */
    public Uni<Void> send(String key, EvaluatedKeysEvent event) {
        Message<byte[]> message = Message.of(CODEC.encode(event))
                .addMetadata(OutgoingKafkaRecordMetadata.<String>builder()
                        .withKey(key)
                        .build());
        return emitter.sendMessage(message)
                .invoke(() -> acknowledged.increment())
                .onFailure()
                .invoke(e -> failed.increment());
    }
}
