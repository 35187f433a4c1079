package dev.rollguard.alert.listener;

import dev.rollguard.alert.service.EvaluationService;
import io.quarkus.logging.Log;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.KafkaConsumerRebalanceListener;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Collection;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Reloads the evaluator's memory from the database when partitions are assigned: another instance may have
 * evaluated them meanwhile, and the stored positions and states are the truth.
 */
@ApplicationScoped
@Identifier(WindowRebalanceListener.NAME)
public class WindowRebalanceListener implements KafkaConsumerRebalanceListener {

    public static final String NAME = "alert-windows-rebalance";

    private final EvaluationService evaluation;

    public WindowRebalanceListener(EvaluationService evaluation) {
        this.evaluation = evaluation;
    }

    @Override
    public void onPartitionsAssigned(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        // Queued on the evaluator's lane ahead of the records of these partitions; never blocks the poll loop.
        evaluation
                .reload()
                .subscribe()
                .with(
                        ignored -> Log.debugf("evaluator reloaded for %s", partitions),
                        failure -> Log.errorf(failure, "evaluator reload failed"));
    }
}
