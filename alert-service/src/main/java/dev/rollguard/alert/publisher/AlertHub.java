package dev.rollguard.alert.publisher;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.operators.multi.processors.BroadcastProcessor;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.Flow.Processor;

/**
 * Tells SSE subscribers that new alert transitions were stored. The signal carries no data: each subscriber reads
 * the transitions after its own cursor from the database, so none is missed between replay and live updates.
 */
@ApplicationScoped
public class AlertHub {

    private final Processor<Long, Long> signals =
            BroadcastProcessor.<Long>create().serialized();

    public void signal() {
        signals.onNext(System.nanoTime());
    }

    public Multi<Long> signals() {
        return Multi.createFrom().publisher(signals);
    }
}
