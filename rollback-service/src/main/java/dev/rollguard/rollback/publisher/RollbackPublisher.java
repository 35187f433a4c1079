package dev.rollguard.rollback.publisher;

import dev.rollguard.rollback.domain.RollbackRecord;
import dev.rollguard.rollback.mapping.RollbackMapper;
import dev.rollguard.schemas.event.RollbackActionEvent;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.Record;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Channel;

/** Publishes what the guard did to the rollbacks topic, keyed by flag key (no key for scope-less alerts). */
@ApplicationScoped
public class RollbackPublisher {

    /** Outgoing channel bound to the rollbacks topic. */
    public static final String CHANNEL = "rollbacks";

    private final MutinyEmitter<Record<String, RollbackActionEvent>> emitter;

    public RollbackPublisher(@Channel(CHANNEL) MutinyEmitter<Record<String, RollbackActionEvent>> emitter) {
        this.emitter = emitter;
    }

    /** Completes when the broker has acknowledged the event, so the caller can record it as published. */
    public Uni<Void> publish(RollbackRecord record) {
        return emitter.send(Record.of(record.flagKey(), RollbackMapper.toEvent(record)));
    }
}
