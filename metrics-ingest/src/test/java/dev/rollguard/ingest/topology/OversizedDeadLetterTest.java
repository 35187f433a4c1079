package dev.rollguard.ingest.topology;

import static dev.rollguard.ingest.TelemetryFixtures.sync;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.infra.SharedInfra;
import dev.rollguard.ingest.KafkaTestClient;
import dev.rollguard.ingest.domain.Violation;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.serde.AvroCodec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * On the real broker, records as large as the broker takes (its default {@code message.max.bytes}, about 1 MiB) are
 * dead-lettered without stopping their partition: with the dead-letter headers such a record is larger than the
 * producer sends, so the dead letter leaves its value out and says so, and the events after it on the same partition
 * are dead-lettered and counted as ever. Without that, the task failed on the record after every restart.
 */
class OversizedDeadLetterTest {

    /** A value this size, under a short key and no headers, fits the broker's default batch limit of 1 048 588. */
    static final int NEAR_LIMIT = 1_048_400;

    KafkaStreams streams;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path scratch;

    @AfterEach
    void stop() {
        if (streams != null) {
            streams.close(Duration.ofSeconds(10));
        }
    }

    @Test
    void recordsAsLargeAsTheBrokerTakesAreDeadLetteredWithoutTheirValueAndThePartitionGoesOn() {
        String bootstrap = SharedInfra.kafkaBootstrap();
        String id = UUID.randomUUID().toString().substring(0, 8);
        String prefix = "oversized-" + id + ".";
        TopicNames topics = TopicNames.DEFAULT.prefixed(prefix);
        StreamsWorker.createTopics(bootstrap, topics);
        streams = StreamsWorker.start(bootstrap, "metrics-ingest-oversized-" + id, prefix, scratch);
        Instant now = Instant.now().minusSeconds(5);

        // Undecodable: the deserialization handler's dead letter, the bytes as read.
        byte[] undecodable = new byte[NEAR_LIMIT];
        Arrays.fill(undecodable, (byte) 'x');
        // Decodable but invalid (its error message far too long): the validation branch's dead letter, re-encoded.
        byte[] invalid = padded(sync("c1", now, false, 10), NEAR_LIMIT);
        byte[] small = new byte[] {(byte) 0xff};
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
                        2_000_000,
                        ProducerConfig.ACKS_CONFIG,
                        "all"),
                new StringSerializer(),
                new ByteArraySerializer())) {
            // One key: one partition, in this order.
            producer.send(new ProducerRecord<>(topics.sync(), "c1", undecodable));
            producer.send(new ProducerRecord<>(topics.sync(), "c1", invalid));
            producer.send(new ProducerRecord<>(topics.sync(), "c1", small));
            producer.flush();
        }
        KafkaTestClient.send(
                topics.sync(),
                "c1",
                AvroCodec.of(SyncEvent.class).encode(sync("c1", now, true, 10).build()));

        // By source offset: the handler's dead letters and the topology's reach the topic by two producers.
        Map<String, ConsumerRecord<byte[], byte[]>> letters = deadLetters(bootstrap, topics.dlq(), 3).stream()
                // The handler's producer writes at least once: a repeat of a dead letter is the same dead letter.
                .collect(Collectors.toMap(r -> header(r, DeadLetterHeaders.SOURCE_OFFSET), r -> r, (a, b) -> a));
        assertThat(letters).containsOnlyKeys("0", "1", "2");
        ConsumerRecord<byte[], byte[]> first = letters.get("0");
        assertThat(header(first, DeadLetterHeaders.STAGE)).isEqualTo("DESERIALIZATION");
        assertThat(first.value()).isEmpty();
        assertThat(header(first, DeadLetterHeaders.OMITTED)).isEqualTo("value=" + NEAR_LIMIT);
        assertThat(new String(first.key(), StandardCharsets.UTF_8)).isEqualTo("c1");

        ConsumerRecord<byte[], byte[]> second = letters.get("1");
        assertThat(header(second, DeadLetterHeaders.STAGE)).isEqualTo("VALIDATION");
        assertThat(header(second, DeadLetterHeaders.CODE)).isEqualTo(Violation.OVERSIZED_FIELD);
        assertThat(second.value()).isEmpty();
        assertThat(header(second, DeadLetterHeaders.OMITTED)).isEqualTo("value=" + NEAR_LIMIT);
        assertThat(new String(second.key(), StandardCharsets.UTF_8)).isEqualTo("c1");

        // The small record after them, on the same partition, is dead-lettered whole: the partition went on.
        ConsumerRecord<byte[], byte[]> third = letters.get("2");
        assertThat(third.value()).isEqualTo(small);
        assertThat(third.headers().lastHeader(DeadLetterHeaders.OMITTED)).isNull();
        Awaitility.await()
                .atMost(Duration.ofSeconds(60))
                .until(() ->
                        ExactlyOnceTest.committed(bootstrap, "metrics-ingest-oversized-" + id, topics.sync()) >= 4);
        assertThat(streams.state()).isEqualTo(KafkaStreams.State.RUNNING);
    }

    /** The event with an error message that makes its encoding exactly {@code size} bytes. */
    static byte[] padded(SyncEvent.Builder event, int size) {
        AvroCodec<SyncEvent> codec = AvroCodec.of(SyncEvent.class);
        int length = size - 16;
        for (int round = 0; round < 4; round++) {
            byte[] encoded =
                    codec.encode(event.setErrorMessage("m".repeat(length)).build());
            if (encoded.length == size) {
                return encoded;
            }
            length += size - encoded.length;
        }
        throw new IllegalStateException("no error message gives an encoding of " + size + " bytes");
    }

    static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        var header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    /** The dead letters read committed until they come from {@code count} source offsets, within a minute. */
    static List<ConsumerRecord<byte[], byte[]>> deadLetters(String bootstrap, String topic, int count) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG,
                "oversized-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                "read_committed",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
                ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                ByteArrayDeserializer.class))) {
            consumer.subscribe(List.of(topic));
            List<ConsumerRecord<byte[], byte[]>> found = new java.util.ArrayList<>();
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(found::add);
                return found.stream()
                                .map(r -> header(r, DeadLetterHeaders.SOURCE_OFFSET))
                                .distinct()
                                .count()
                        >= count;
            });
            return found;
        }
    }
}
