package dev.rollguard.ingest.topology;

import dev.rollguard.ingest.domain.WindowAggregate;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.streams.processor.StreamPartitioner;

/**
 * Partitions the repartition of the partial windows: a scope's partials by the default hash of its key (the one
 * interactive queries use to find a scope's window store), a watermark tick to every partition.
 */
final class TickPartitioner implements StreamPartitioner<String, WindowAggregate> {

    @Override
    public Optional<Set<Integer>> partitions(String topic, String key, WindowAggregate value, int numPartitions) {
        if (!key.startsWith(TelemetryProcessor.TICK)) {
            return Optional.empty();
        }
        return Optional.of(IntStream.range(0, numPartitions).boxed().collect(Collectors.toUnmodifiableSet()));
    }
}
