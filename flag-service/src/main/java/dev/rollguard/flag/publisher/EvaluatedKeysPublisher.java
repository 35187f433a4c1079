package dev.rollguard.flag.publisher;

import dev.rollguard.flag.service.EvaluatedKeyRecorder;
import dev.rollguard.schemas.event.EvaluatedKeysEvent;
import dev.rollguard.schemas.serde.AvroCodec;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * Publishes the slices of evaluated targeting keys ({@link EvaluatedKeyRecorder}) that took new keys to
 * evaluated.keys, every {@code flag-service.evaluated-keys.publish-interval}. A slice the broker did not acknowledge
 * is published again at the next pass; losing one costs metrics-ingest a few keys, never a cohort.
 */
@ApplicationScoped
public class EvaluatedKeysPublisher {

    public static final String CHANNEL = "evaluated-keys-out";

    private static final AvroCodec<EvaluatedKeysEvent> CODEC = AvroCodec.of(EvaluatedKeysEvent.class);

    private final EvaluatedKeyRecorder recorder;
    private final MutinyEmitter<byte[]> emitter;
    private final Counter published;
    private final Counter failed;

    public EvaluatedKeysPublisher(
            EvaluatedKeyRecorder recorder, @Channel(CHANNEL) MutinyEmitter<byte[]> emitter, MeterRegistry registry) {
        this.recorder = recorder;
        this.emitter = emitter;
        this.published = Counter.builder("rollguard.evaluated.keys.published")
                .description("Slices of evaluated targeting keys published to evaluated.keys")
                .tag("outcome", "acknowledged")
                .register(registry);
        this.failed = Counter.builder("rollguard.evaluated.keys.published")
                .description("Slices of evaluated targeting keys published to evaluated.keys")
                .tag("outcome", "failed")
                .register(registry);
    }

    @Scheduled(
            every = "${flag-service.evaluated-keys.publish-interval:15s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> publish() {
        List<EvaluatedKeyRecorder.Changed> changed = recorder.changed();
        if (changed.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        List<Uni<Void>> sends = new ArrayList<>(changed.size());
        for (EvaluatedKeyRecorder.Changed slice : changed) {
            Message<byte[]> message = Message.of(CODEC.encode(slice.event()))
                    .addMetadata(OutgoingKafkaRecordMetadata.<String>builder()
                            .withKey(slice.key())
                            .build());
            sends.add(emitter.sendMessage(message)
                    .invoke(() -> published.increment())
                    .onFailure()
                    .recoverWithUni(e -> {
                        failed.increment();
                        recorder.failed(slice.slice());
                        Log.warnf(
                                "evaluated keys of flag %s not published: %s",
                                slice.event().getFlagKey(), e);
                        return Uni.createFrom().voidItem();
                    }));
        }
        return Uni.join().all(sends).andCollectFailures().replaceWithVoid();
    }
}
