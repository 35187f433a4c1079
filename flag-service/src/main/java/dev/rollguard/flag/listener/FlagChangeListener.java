package dev.rollguard.flag.listener;

import dev.rollguard.flag.service.FlagSnapshot;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.serde.AvroCodec;
import dev.rollguard.schemas.serde.AvroDecodingException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * Keeps the snapshot current with changes committed by other instances. Every instance reads the whole compacted
 * topic in a consumer group of its own (see application.properties); its own changes come back too and are ignored
 * by version.
 *
 * <p>Records arrive as bytes and are decoded here with the shared codec, so a record that cannot be decoded is
 * counted, logged with its position and skipped: the database stays the source of truth and one bad record must not
 * stop the snapshot from following the others. The channel's failure strategy is {@code ignore} for the same
 * reason. (Decoding here rather than in a configured Kafka deserializer also keeps the Avro classes on the
 * application's class loader.)
 */
@ApplicationScoped
public class FlagChangeListener {

    public static final String CHANNEL = "flags-changes-in";

    private static final AvroCodec<FlagChangedEvent> CODEC = AvroCodec.of(FlagChangedEvent.class);

    private final FlagSnapshot snapshot;
    private final Counter applied;
    private final Counter rejected;

    public FlagChangeListener(FlagSnapshot snapshot, MeterRegistry registry) {
        this.snapshot = snapshot;
        this.applied = Counter.builder("rollguard.flag.changes.applied")
                .description("Changes from flags.changes newer than the snapshot, applied to it")
                .register(registry);
        this.rejected = Counter.builder("rollguard.flag.changes.rejected")
                .description("Records of flags.changes that could not be decoded")
                .register(registry);
    }

    @Incoming(CHANNEL)
    public void onChange(ConsumerRecord<String, byte[]> record) {
        if (record.value() == null) {
            return; // a tombstone: the flag-service never writes one, and there is no state to apply
        }
        FlagChangedEvent event;
        try {
            event = CODEC.decode(record.value());
        } catch (AvroDecodingException e) {
            rejected.increment();
            Log.warnf(
                    "skipped undecodable record of %s at partition %d offset %d (key %s): %s",
                    record.topic(), record.partition(), record.offset(), record.key(), e.getMessage());
            return;
        }
        if (snapshot.apply(event)) {
            applied.increment();
        }
    }
}
