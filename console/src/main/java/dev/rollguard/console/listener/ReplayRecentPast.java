package dev.rollguard.console.listener;

import dev.rollguard.console.config.ConsoleConfig;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.KafkaConsumerRebalanceListener;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;

/**
 * On every assignment, start reading at "now minus the replay period": the in-memory history is empty after a
 * start, and the charts should show the last half hour rather than nothing (or every window ever written).
 */
@ApplicationScoped
@Identifier(ReplayRecentPast.NAME)
public class ReplayRecentPast implements KafkaConsumerRebalanceListener {

    public static final String NAME = "console-replay-recent-past";

    private final ConsoleConfig config;
    private final Clock clock = Clock.systemUTC();

    public ReplayRecentPast(ConsoleConfig config) {
        this.config = config;
    }

    @Override
    public void onPartitionsAssigned(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        if (partitions.isEmpty()) {
            return;
        }
        long from = clock.instant().minus(config.history().replay()).toEpochMilli();
        Map<TopicPartition, Long> query = new HashMap<>();
        partitions.forEach(p -> query.put(p, from));
        Map<TopicPartition, OffsetAndTimestamp> offsets = consumer.offsetsForTimes(query);
        Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
        for (TopicPartition partition : partitions) {
            OffsetAndTimestamp offset = offsets.get(partition);
            consumer.seek(partition, offset != null ? offset.offset() : ends.get(partition));
        }
    }
}
