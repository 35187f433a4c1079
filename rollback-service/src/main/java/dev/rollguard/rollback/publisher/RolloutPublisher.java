package dev.rollguard.rollback.publisher;

import dev.rollguard.rollback.domain.RolloutStep;
import dev.rollguard.rollback.mapping.RolloutMapper;
import dev.rollguard.schemas.event.RolloutActionEvent;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.Record;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Channel;

/** Publishes the promoter's steps to the rollouts topic, keyed by flag key. */
@ApplicationScoped
public class RolloutPublisher {

    /** Outgoing channel bound to the rollouts topic. */
    public static final String CHANNEL = "rollouts";

    private final MutinyEmitter<Record<String, RolloutActionEvent>> emitter;

    public RolloutPublisher(@Channel(CHANNEL) MutinyEmitter<Record<String, RolloutActionEvent>> emitter) {
        this.emitter = emitter;
    }

    /** Completes when the broker has acknowledged the event, so the caller can record it as published. */
    public Uni<Void> publish(RolloutStep step) {
        return emitter.send(Record.of(step.flagKey(), RolloutMapper.toEvent(step)));
    }
}
