package dev.rollguard.alert.listener;

import dev.rollguard.alert.service.RuleEvaluationService;
import io.quarkus.logging.Log;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.KafkaConsumerRebalanceListener;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Collection;
import java.util.List;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * Tells the evaluator which partitions of {@code metrics.windows} this instance owns: on assignment it claims them in
 * the database and reads their state (another instance may have evaluated them meanwhile, and the stored positions and
 * states are the truth); on revocation or loss it drops them, so no sweep or timer acts on them any more.
 */
@ApplicationScoped
@Identifier(WindowRebalanceListener.NAME)
public class WindowRebalanceListener implements KafkaConsumerRebalanceListener {

    public static final String NAME = "alert-windows-rebalance";

    private final RuleEvaluationService evaluation;

    public WindowRebalanceListener(RuleEvaluationService evaluation) {
        this.evaluation = evaluation;
    }

    @Override
    public void onPartitionsAssigned(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        if (partitions.isEmpty()) {
            return;
        }
        int partitionsOfTopic = 0;
        try {
            List<PartitionInfo> all =
                    consumer.partitionsFor(partitions.iterator().next().topic());
            partitionsOfTopic = all == null ? 0 : all.size();
        } catch (RuntimeException e) {
            Log.warnf("partitions of metrics.windows unknown: %s", e.getMessage());
        }
        // Queued on the evaluator's lane ahead of the records of these partitions; never blocks the poll loop.
        evaluation
                .assigned(numbers(partitions), partitionsOfTopic)
                .subscribe()
                .with(
                        ignored -> Log.debugf("evaluator claimed %s", partitions),
                        failure -> Log.errorf(failure, "evaluator claim of %s failed", partitions));
    }

    @Override
    public void onPartitionsRevoked(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        release(partitions);
    }

    @Override
    public void onPartitionsLost(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        release(partitions);
    }

    private void release(Collection<TopicPartition> partitions) {
        if (partitions.isEmpty()) {
            return;
        }
        evaluation
                .revoked(numbers(partitions))
                .subscribe()
                .with(
                        ignored -> Log.debugf("evaluator released %s", partitions),
                        failure -> Log.errorf(failure, "evaluator release of %s failed", partitions));
    }

    private static List<Integer> numbers(Collection<TopicPartition> partitions) {
        return partitions.stream().map(TopicPartition::partition).toList();
    }
}
