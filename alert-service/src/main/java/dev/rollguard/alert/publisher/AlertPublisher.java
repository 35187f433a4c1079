package dev.rollguard.alert.publisher;

import dev.rollguard.alert.config.AlertConfig;
import dev.rollguard.alert.repository.AlertRepository;
import dev.rollguard.alert.repository.AlertRepository.AlertRow;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.serde.AvroCodec;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.KafkaRecord;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.microprofile.reactive.messaging.Channel;

/**
 * The outbox relay: publishes stored alert transitions to the {@code alerts} topic, keyed by fingerprint, in the
 * order they were stored, and marks them published once Kafka acknowledged them. A crash between the two republishes
 * the same transitions with the same alert ids, which consumers deduplicate.
 */
@ApplicationScoped
public class AlertPublisher {

    public static final String CHANNEL = "alerts-out";

    private final MutinyEmitter<AlertEvent> emitter;
    private final AlertRepository alerts;
    private final AlertConfig config;
    private final AvroCodec<AlertEvent> codec = AvroCodec.of(AlertEvent.class);
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicBoolean again = new AtomicBoolean();

    public AlertPublisher(
            @Channel(CHANNEL) MutinyEmitter<AlertEvent> emitter, AlertRepository alerts, AlertConfig config) {
        this.emitter = emitter;
        this.alerts = alerts;
        this.config = config;
    }

    /** Publishes whatever is waiting; a call while a round runs makes it go on for another round. */
    public void kick() {
        again.set(true);
        if (running.compareAndSet(false, true)) {
            round();
        }
    }

    private void round() {
        again.set(false);
        alerts.unpublished(config.relay().batchSize())
                .chain(rows -> rows.isEmpty() ? Uni.createFrom().item(0) : publish(rows))
                .subscribe()
                .with(
                        published -> {
                            if (published > 0) {
                                again.set(true);
                            }
                            done();
                        },
                        failure -> {
                            // The scheduled relay tries again; looping here would spin while Kafka is away.
                            Log.warnf("alerts not published yet: %s", failure.getMessage());
                            again.set(false);
                            done();
                        });
    }

    private void done() {
        running.set(false);
        if (again.get() && running.compareAndSet(false, true)) {
            round();
        }
    }

    private Uni<Integer> publish(List<AlertRow> rows) {
        List<Uni<Void>> sends = rows.stream()
                .map(row -> emitter.sendMessage(KafkaRecord.of(row.fingerprint(), codec.decode(row.avro()))))
                .toList();
        return Uni.join()
                .all(sends)
                .andFailFast()
                .chain(() ->
                        alerts.markPublished(rows.stream().map(AlertRow::seq).toList()))
                .replaceWith(rows.size());
    }
}
