package dev.rollguard.alert.listener;

import dev.rollguard.alert.service.RuleEvaluationService;
import dev.rollguard.schemas.event.FlagChangedEvent;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * Follows {@code flags.changes}: a flag that leaves rollout (killed, switched off, archived, at 0 % or 100 %) ends its
 * guard evidence and resolves its firing guard alerts, with the change as the reason. Undecodable records are
 * skipped (logged): this stream only ends alerts, it never starts one.
 */
@ApplicationScoped
public class FlagChangeListener {

    public static final String CHANNEL = "flags";

    private final RuleEvaluationService evaluation;

    public FlagChangeListener(RuleEvaluationService evaluation) {
        this.evaluation = evaluation;
    }

    @Incoming(CHANNEL)
    public Uni<Void> consume(FlagChangedEvent flag) {
        if (flag == null) {
            return Uni.createFrom().voidItem();
        }
        return evaluation
                .flagChanged(flag)
                .replaceWithVoid()
                .onFailure()
                .invoke(failure -> Log.warnf(
                        "guard alerts of flag %s could not be resolved after its change: %s",
                        flag.getFlagKey(), failure.getMessage()));
    }
}
