package dev.rollguard.infra;

import dev.rollguard.schemas.Topics;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.WindowKind;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import dev.rollguard.schemas.serde.AvroCodec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** What a topic holds, read whole by the tests that check what the services wrote. */
public final class TopicContents {

    private static final AvroCodec<WindowMetricsEvent> WINDOWS = AvroCodec.of(WindowMetricsEvent.class);

    private TopicContents() {}

    /**
     * Every committed record of {@code topic} up to its end at the call (read_committed: a record of an aborted
     * transaction, such as a window metrics-ingest wrote before a task was fenced, is not there).
     */
    public static List<ConsumerRecord<String, byte[]>> readAll(String bootstrap, String topic) {
        try (var consumer = new KafkaConsumer<>(
                Map.<String, Object>of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        "read_committed"),
                new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp))) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
            return records;
        }
    }

    /** {@link #readAll(String, String)} on the shared broker of the test JVM. */
    public static List<ConsumerRecord<String, byte[]>> readAll(String topic) {
        return readAll(SharedInfra.kafkaBootstrap(), topic);
    }

    /** The flag cohort windows of {@code flagKey} on {@code metrics.windows}, tumbling ones only. */
    public static List<WindowMetricsEvent> tumblingCohortWindows(String bootstrap, String flagKey) {
        return readAll(bootstrap, Topics.METRICS_WINDOWS).stream()
                .filter(r -> ("flag:" + flagKey).equals(r.key()))
                .map(r -> WINDOWS.decode(r.value()))
                .filter(w -> w.getWindowKind() == WindowKind.TUMBLING)
                .toList();
    }

    /**
     * Events of {@code flagKey}'s tumbling cohort windows (each emitted once, when it closes), summed per cohort: what
     * metrics-ingest counted of the flag's telemetry.
     */
    public static Map<Cohort, Long> eventsPerCohort(String bootstrap, String flagKey) {
        Map<Cohort, Long> counted = new EnumMap<>(Cohort.class);
        tumblingCohortWindows(bootstrap, flagKey)
                .forEach(w -> counted.merge(w.getCohort(), w.getEventCount(), Long::sum));
        return counted;
    }

    /** {@link #eventsPerCohort(String, String)} on the shared broker of the test JVM. */
    public static Map<Cohort, Long> eventsPerCohort(String flagKey) {
        return eventsPerCohort(SharedInfra.kafkaBootstrap(), flagKey);
    }
}
