package dev.rollguard.ingest.publisher;

import dev.rollguard.ingest.config.IngestConfig;
import dev.rollguard.schemas.Topics;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.event.UploadEvent;
import dev.rollguard.schemas.serde.AvroCodec;
import dev.rollguard.schemas.trace.TraceContext;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Produces posted telemetry to the telemetry topics, keyed by client id like the clients that speak Kafka do (so a
 * client's retries reach the partition that remembers its event ids). acks=all with idempotence: a batch is answered
 * only once every record is in the broker's in-sync replicas.
 */
@ApplicationScoped
public class TelemetryPublisher {

    private final KafkaProducer<String, byte[]> producer;

    @Inject
    public TelemetryPublisher(
            @Identifier("default-kafka-broker") Map<String, Object> kafkaConfig, IngestConfig ingestConfig) {
        Map<String, Object> config = new HashMap<>();
        // A send waits for the topic's metadata (and for buffer space) at most the ack timeout, not the producer's
        // default minute: with the broker away, a batch is answered 503 within the ack timeout.
        config.put(
                ProducerConfig.MAX_BLOCK_MS_CONFIG,
                ingestConfig.intake().ackTimeout().toMillis());
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafkaConfig.get("bootstrap.servers"));
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        config.put(ProducerConfig.CLIENT_ID_CONFIG, "metrics-ingest-intake");
        this.producer = new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
    }

    TelemetryPublisher(KafkaProducer<String, byte[]> producer) {
        this.producer = producer;
    }

    /**
     * Sends every event, with the request's id and trace context in the record headers when {@code trace} is given;
     * the Uni completes when the broker acknowledged all of them, or fails with the first error. A send that fails at
     * once (the broker unreachable for the whole wait for its metadata) ends the batch: the rest would each wait as
     * long, and the client sends the whole batch again.
     */
    public Uni<Void> publish(List<SpecificRecord> events, TraceContext trace) {
        List<CompletableFuture<RecordMetadata>> acks = new ArrayList<>(events.size());
        for (SpecificRecord event : events) {
            CompletableFuture<RecordMetadata> ack = new CompletableFuture<>();
            ProducerRecord<String, byte[]> record = record(event);
            if (trace != null) {
                trace.writeTo(record.headers());
            }
            try {
                producer.send(record, (metadata, error) -> {
                    if (error != null) {
                        ack.completeExceptionally(error);
                    } else {
                        ack.complete(metadata);
                    }
                });
            } catch (RuntimeException e) {
                // Thrown rather than called back: the producer closed at shutdown, or a record it cannot take. The
                // batch fails like an unacknowledged one (503, safe to retry), not as a server error.
                ack.completeExceptionally(e);
            }
            acks.add(ack);
            if (ack.isCompletedExceptionally()) {
                break;
            }
        }
        return Uni.createFrom()
                .completionStage(CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)))
                .replaceWithVoid();
    }

    private static ProducerRecord<String, byte[]> record(SpecificRecord event) {
        if (event instanceof SyncEvent s) {
            return new ProducerRecord<>(
                    Topics.TELEMETRY_SYNC,
                    s.getClientId(),
                    AvroCodec.of(SyncEvent.class).encode(s));
        }
        UploadEvent u = (UploadEvent) event;
        return new ProducerRecord<>(
                Topics.TELEMETRY_UPLOAD,
                u.getClientId(),
                AvroCodec.of(UploadEvent.class).encode(u));
    }

    @PreDestroy
    void close() {
        producer.close();
    }
}
