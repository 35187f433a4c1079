package dev.rollguard.alert.support;

import dev.rollguard.infra.SharedInfra;
import dev.rollguard.schemas.Topics;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.RollbackActionEvent;
import dev.rollguard.schemas.event.RolloutActionEvent;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import dev.rollguard.schemas.serde.AvroSerde;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Plain Kafka clients against the test broker: windows and actions in, alerts and dead letters out. */
public final class TestKafka {

    private TestKafka() {}

    /** Sends windows keyed as metrics-ingest keys them and waits for the broker's acknowledgement. */
    public static List<RecordMetadata> sendWindows(WindowMetricsEvent... windows) {
        return sendWindowsTo(SharedInfra.kafkaBootstrap(), windows);
    }

    /** {@link #sendWindows}, to the broker at {@code bootstrap} (a test's own broker). */
    public static List<RecordMetadata> sendWindowsTo(String bootstrap, WindowMetricsEvent... windows) {
        try (KafkaProducer<String, WindowMetricsEvent> producer = new KafkaProducer<>(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
                new StringSerializer(),
                new AvroSerde.AvroSerializer<>(WindowMetricsEvent.class))) {
            List<RecordMetadata> sent = new ArrayList<>();
            for (WindowMetricsEvent window : windows) {
                sent.add(producer.send(new ProducerRecord<>(Topics.METRICS_WINDOWS, keyOf(window), window))
                        .get(30, TimeUnit.SECONDS));
            }
            return sent;
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw new IllegalStateException("sending windows failed", e);
        }
    }

    /** Publishes a flag's state on flags.changes, as the flag-service's outbox relay does. */
    public static void sendFlagChange(FlagChangedEvent flag) {
        try (KafkaProducer<String, FlagChangedEvent> producer = new KafkaProducer<>(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedInfra.kafkaBootstrap()),
                new StringSerializer(),
                new AvroSerde.AvroSerializer<>(FlagChangedEvent.class))) {
            producer.send(new ProducerRecord<>(Topics.FLAGS_CHANGES, flag.getFlagKey(), flag))
                    .get(30, TimeUnit.SECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw new IllegalStateException("sending a flag change failed", e);
        }
    }

    /** Publishes an action on rollbacks as the rollback-service does, keyed by flag key. */
    public static void sendRollback(RollbackActionEvent action) {
        send(Topics.ROLLBACKS, action.getFlagKey(), action, RollbackActionEvent.class);
    }

    /** Publishes a step of the promoter on rollouts, keyed by flag key. */
    public static void sendRollout(RolloutActionEvent action) {
        send(Topics.ROLLOUTS, action.getFlagKey(), action, RolloutActionEvent.class);
    }

    /** Sends raw bytes to a topic, e.g. a record that is no event of the topic's type. */
    public static RecordMetadata sendRaw(String topic, String key, byte[] value) {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedInfra.kafkaBootstrap()),
                new StringSerializer(),
                new ByteArraySerializer())) {
            return producer.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw new IllegalStateException("sending bytes failed", e);
        }
    }

    private static <T extends SpecificRecord> void send(String topic, String key, T event, Class<T> type) {
        try (KafkaProducer<String, T> producer = new KafkaProducer<>(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedInfra.kafkaBootstrap()),
                new StringSerializer(),
                new AvroSerde.AvroSerializer<>(type))) {
            producer.send(new ProducerRecord<>(topic, key, event)).get(30, TimeUnit.SECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw new IllegalStateException("sending to " + topic + " failed", e);
        }
    }

    /** The key metrics-ingest gives a window: {@code flag:<flagKey>} for flag cohorts, else the scope key. */
    public static String keyOf(WindowMetricsEvent window) {
        return window.getFlagKey() != null ? "flag:" + window.getFlagKey() : window.getScopeKey();
    }

    /**
     * Sends encoded windows to metrics.windows back to back, so that they travel in as few producer batches (and
     * consumer batches) as possible, and waits for every acknowledgement; returned in the order given.
     */
    public static List<RecordMetadata> sendRawTogether(List<Map.Entry<String, byte[]>> records) {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        SharedInfra.kafkaBootstrap(),
                        ProducerConfig.LINGER_MS_CONFIG,
                        50),
                new StringSerializer(),
                new ByteArraySerializer())) {
            List<java.util.concurrent.Future<RecordMetadata>> pending = new ArrayList<>();
            for (Map.Entry<String, byte[]> record : records) {
                pending.add(producer.send(
                        new ProducerRecord<>(Topics.METRICS_WINDOWS, record.getKey(), record.getValue())));
            }
            producer.flush();
            List<RecordMetadata> sent = new ArrayList<>();
            for (var future : pending) {
                sent.add(future.get(30, TimeUnit.SECONDS));
            }
            return sent;
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw new IllegalStateException("sending windows failed", e);
        }
    }

    /** Sends raw bytes to metrics.windows, e.g. a record that is no WindowMetricsEvent. */
    public static RecordMetadata sendRaw(String key, byte[] value) {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedInfra.kafkaBootstrap()),
                new StringSerializer(),
                new ByteArraySerializer())) {
            return producer.send(new ProducerRecord<>(Topics.METRICS_WINDOWS, key, value))
                    .get(30, TimeUnit.SECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw new IllegalStateException("sending bytes failed", e);
        }
    }

    /** Every record of the alerts topic so far (from the beginning), read until the end offsets. */
    public static List<ConsumerRecord<String, AlertEvent>> alerts() {
        return alertsAt(SharedInfra.kafkaBootstrap());
    }

    /** {@link #alerts}, of the broker at {@code bootstrap} (a test's own broker). */
    public static List<ConsumerRecord<String, AlertEvent>> alertsAt(String bootstrap) {
        try (KafkaConsumer<String, AlertEvent> consumer = new KafkaConsumer<>(
                consumerConfig(bootstrap),
                new StringDeserializer(),
                new AvroSerde.AvroDeserializer<>(AlertEvent.class))) {
            return readAll(consumer, Topics.ALERTS);
        }
    }

    /** Every record of a topic so far, as bytes. */
    public static List<ConsumerRecord<String, byte[]>> raw(String topic) {
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(
                consumerConfig(SharedInfra.kafkaBootstrap()), new StringDeserializer(), new ByteArrayDeserializer())) {
            return readAll(consumer, topic);
        }
    }

    private static Map<String, Object> consumerConfig(String bootstrap) {
        return Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG,
                "test-reader-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                "false");
    }

    private static <V> List<ConsumerRecord<String, V>> readAll(KafkaConsumer<String, V> consumer, String topic) {
        var partitions = consumer.partitionsFor(topic).stream()
                .map(p -> new org.apache.kafka.common.TopicPartition(topic, p.partition()))
                .toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        var end = consumer.endOffsets(partitions);
        List<ConsumerRecord<String, V>> records = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p)) && System.nanoTime() < deadline) {
            consumer.poll(Duration.ofMillis(200)).forEach(records::add);
        }
        return records;
    }
}
