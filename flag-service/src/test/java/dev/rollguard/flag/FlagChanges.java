package dev.rollguard.flag;

import static org.awaitility.Awaitility.await;

import dev.rollguard.schemas.Topics;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.serde.AvroCodec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.microprofile.config.ConfigProvider;

/** What flag-service published on flags.changes, read back from the test broker. */
final class FlagChanges {

    private static final AvroCodec<FlagChangedEvent> CODEC = AvroCodec.of(FlagChangedEvent.class);

    private FlagChanges() {}

    /** The event of {@code key} at {@code version}, once the relay has published it. */
    static FlagChangedEvent awaitEvent(String key, long version) {
        List<FlagChangedEvent> seen = new CopyOnWriteArrayList<>();
        await().atMost(Duration.ofSeconds(15)).until(() -> {
            seen.clear();
            seen.addAll(events(key));
            return seen.stream().anyMatch(e -> e.getVersion() == version);
        });
        return seen.stream().filter(e -> e.getVersion() == version).findFirst().orElseThrow();
    }

    /** Every event of {@code key} on flags.changes, read from the beginning up to the current end. */
    static List<FlagChangedEvent> events(String key) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        try (KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.FLAGS_CHANGES).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            List<FlagChangedEvent> result = new ArrayList<>();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (key.equals(record.key())) {
                        try {
                            result.add(CODEC.decode(record.value()));
                        } catch (RuntimeException junk) {
                            // records other tests write on purpose that are not flag changes
                        }
                    }
                }
            }
            return result;
        }
    }

    static String bootstrap() {
        return ConfigProvider.getConfig().getValue("kafka.bootstrap.servers", String.class);
    }
}
