package dev.rollguard.ingest;

import dev.rollguard.infra.SharedInfra;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;

/** Plain Kafka clients on the test broker: raw records in, committed records out. */
public final class KafkaTestClient {

    private KafkaTestClient() {}

    public static KafkaProducer<String, byte[]> producer() {
        return new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        SharedInfra.kafkaBootstrap(),
                        ProducerConfig.ACKS_CONFIG,
                        "all"),
                new StringSerializer(),
                new ByteArraySerializer());
    }

    /** Sends and waits for the broker's acknowledgement. */
    public static void send(String topic, String key, byte[] value) {
        try (var producer = producer()) {
            producer.send(new ProducerRecord<>(topic, key, value)).get();
        } catch (Exception e) {
            throw new IllegalStateException("cannot send to " + topic, e);
        }
    }

    /**
     * Reads {@code topic} from the beginning (committed records only) until the records matching {@code wanted}
     * satisfy {@code done}, and returns those records.
     */
    public static List<ConsumerRecord<String, byte[]>> await(
            String topic,
            Predicate<ConsumerRecord<String, byte[]>> wanted,
            Predicate<List<ConsumerRecord<String, byte[]>>> done,
            Duration timeout) {
        List<ConsumerRecord<String, byte[]>> matching = new ArrayList<>();
        try (var consumer = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        SharedInfra.kafkaBootstrap(),
                        ConsumerConfig.GROUP_ID_CONFIG,
                        "test-" + UUID.randomUUID(),
                        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                        "earliest",
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        "read_committed"),
                new StringDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            Awaitility.await()
                    .atMost(timeout)
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> {
                        for (var record : consumer.poll(Duration.ofMillis(200))) {
                            if (matches(wanted, record)) {
                                matching.add(record);
                            }
                        }
                        return done.test(matching);
                    });
        }
        return matching;
    }

    /** Other tests leave undecodable records in the shared topics on purpose: those simply do not match. */
    private static boolean matches(
            Predicate<ConsumerRecord<String, byte[]>> wanted, ConsumerRecord<String, byte[]> record) {
        try {
            return wanted.test(record);
        } catch (RuntimeException e) {
            return false;
        }
    }
}
