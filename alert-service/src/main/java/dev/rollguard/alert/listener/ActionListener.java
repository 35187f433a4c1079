package dev.rollguard.alert.listener;

import dev.rollguard.alert.domain.notify.ActionNotice;
import dev.rollguard.alert.mapping.ActionMapper;
import dev.rollguard.alert.service.ActionNotifier;
import dev.rollguard.alert.service.ActionNotifier.ActionRecord;
import dev.rollguard.schemas.event.RollbackActionEvent;
import dev.rollguard.schemas.event.RolloutActionEvent;
import dev.rollguard.schemas.serde.Decoded;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.kafka.DeserializationFailureHandler;
import io.smallrye.reactive.messaging.kafka.KafkaRecord;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.header.Header;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * Consumes the automatic actions, {@code rollbacks} (the rollback-service's RollbackActionEvent) and {@code rollouts}
 * (the promoter's RolloutActionEvent), one record at a time, and has each notified to the receivers that subscribe to
 * actions. A record that cannot be decoded arrives with a null payload and the failure and bytes in headers
 * ({@code fail-on-deserialization-failure=false}); it is dead-lettered with its reason and the consumer goes on. A
 * record is acknowledged once its deliveries (or its dead letter) are stored.
 */
@ApplicationScoped
public class ActionListener {

    public static final String ROLLBACKS_CHANNEL = "rollbacks";
    public static final String ROLLOUTS_CHANNEL = "rollouts";

    private final ActionNotifier notifier;

    public ActionListener(ActionNotifier notifier) {
        this.notifier = notifier;
    }

    @Incoming(ROLLBACKS_CHANNEL)
    public Uni<Void> rollback(KafkaRecord<String, Decoded<RollbackActionEvent>> record) {
        return handle(record, "RollbackActionEvent", ActionMapper::fromRollback);
    }

    @Incoming(ROLLOUTS_CHANNEL)
    public Uni<Void> rollout(KafkaRecord<String, Decoded<RolloutActionEvent>> record) {
        return handle(record, "RolloutActionEvent", ActionMapper::fromRollout);
    }

    private <T extends SpecificRecord> Uni<Void> handle(
            KafkaRecord<String, Decoded<T>> record, String type, Function<T, ActionNotice> mapper) {
        return Uni.createFrom()
                .deferred(() -> notifier.handle(toActionRecord(record, type, mapper)))
                .onFailure()
                .invoke(failure -> Log.errorf(failure, "an action record cannot be handled"))
                .onFailure()
                .recoverWithNull()
                .chain(() -> Uni.createFrom().completionStage(record.ack()));
    }

    static <T extends SpecificRecord> ActionRecord toActionRecord(
            KafkaRecord<String, Decoded<T>> record, String type, Function<T, ActionNotice> mapper) {
        IncomingKafkaRecordMetadata<?, ?> metadata = record.getMetadata(IncomingKafkaRecordMetadata.class)
                .orElseThrow(() -> new IllegalStateException("a consumed record without Kafka metadata"));
        Decoded<T> decoded = record.getPayload();
        ActionNotice action = null;
        String failure = null;
        byte[] raw;
        if (decoded == null) {
            String reason = header(record, DeserializationFailureHandler.DESERIALIZATION_FAILURE_REASON);
            failure = reason != null
                    ? "cannot decode a " + type + ": " + reason
                    : "empty record (tombstone) where a " + type + " was expected";
            Header data = record.getHeaders().lastHeader(DeserializationFailureHandler.DESERIALIZATION_FAILURE_DATA);
            raw = data == null ? null : data.value();
        } else {
            raw = decoded.bytes();
            try {
                action = mapper.apply(decoded.event());
            } catch (RuntimeException e) {
                failure = "cannot read a " + type + ": " + e.getMessage();
            }
        }
        return new ActionRecord(
                metadata.getTopic(),
                metadata.getPartition(),
                metadata.getOffset(),
                record.getKey(),
                action,
                failure,
                raw);
    }

    private static String header(KafkaRecord<?, ?> record, String name) {
        Header header = record.getHeaders().lastHeader(name);
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
