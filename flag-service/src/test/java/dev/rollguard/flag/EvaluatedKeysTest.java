package dev.rollguard.flag;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rollguard.schemas.Topics;
import dev.rollguard.schemas.event.EvaluatedKeysEvent;
import dev.rollguard.schemas.keys.KeyDigest;
import dev.rollguard.schemas.serde.AvroCodec;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

/**
 * The targeting keys the OFREP endpoints evaluate flags under rollout for reach evaluated.keys on the real broker,
 * as the digests metrics-ingest checks the keys of events without exposures against.
 */
@QuarkusTest
@QuarkusTestResource(FlagServiceInfra.class)
class EvaluatedKeysTest {

    private static final AvroCodec<EvaluatedKeysEvent> CODEC = AvroCodec.of(EvaluatedKeysEvent.class);

    @Test
    void theKeysAFlagUnderRolloutWasEvaluatedForArePublishedAndNoOthers() {
        String rollout = Api.key("keys-rollout");
        String everyone = Api.key("keys-everyone");
        Api.create(Map.of("key", rollout, "enabled", true, "rolloutPercentage", 30));
        Api.create(Map.of("key", everyone, "enabled", true, "rolloutPercentage", 100));

        Api.evaluate(rollout, "alice@example.com").then().statusCode(200);
        Api.evaluate(everyone, "alice@example.com").then().statusCode(200);
        // The bulk evaluation records its key for every flag under rollout, also when it answers 304.
        String etag = Api.client()
                .body("{\"context\":{\"targetingKey\":\"bob@example.com\"}}")
                .post("/ofrep/v1/evaluate/flags")
                .then()
                .statusCode(200)
                .extract()
                .header("ETag");
        await().atMost(Duration.ofSeconds(15)).until(() -> digestOf(rollout).mightContain("bob@example.com"));

        KeyDigest digest = digestOf(rollout);
        assertThat(digest.mightContain("alice@example.com")).isTrue();
        assertThat(digest.mightContain("user-1")).isFalse();
        assertThat(digest.mightContain("carol@example.com")).isFalse();
        assertThat(events(everyone))
                .as("a flag at 100 % splits nobody: nothing to record")
                .isEmpty();

        Api.client()
                .header("If-None-Match", etag)
                .body("{\"context\":{\"targetingKey\":\"carol@example.com\"}}")
                .post("/ofrep/v1/evaluate/flags")
                .then()
                .statusCode(200);
        await().atMost(Duration.ofSeconds(15)).until(() -> digestOf(rollout).mightContain("carol@example.com"));
        List<EvaluatedKeysEvent> published = events(rollout);
        EvaluatedKeysEvent latest = published.get(published.size() - 1);
        assertThat(latest.getKeys()).isEqualTo(3);
        assertThat(latest.getCapacity()).isEqualTo(10_000);
        assertThat(latest.getFalsePositiveRate()).isEqualTo(0.01);
        assertThat(latest.getSliceEnd().toEpochMilli() - latest.getSliceStart().toEpochMilli())
                .isEqualTo(Duration.ofMinutes(10).toMillis());
    }

    /** The newest digest of the flag's current slice on evaluated.keys. */
    private static KeyDigest digestOf(String flagKey) {
        List<EvaluatedKeysEvent> published = events(flagKey);
        if (published.isEmpty()) {
            return KeyDigest.sized(1, 0.5);
        }
        EvaluatedKeysEvent event = published.get(published.size() - 1);
        byte[] bits = new byte[event.getBits().remaining()];
        event.getBits().duplicate().get(bits);
        return KeyDigest.of(bits, event.getHashFunctions(), event.getKeys());
    }

    /** Every event of the flag on evaluated.keys, oldest first. */
    private static List<EvaluatedKeysEvent> events(String flagKey) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, FlagChanges.bootstrap());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        try (KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.EVALUATED_KEYS).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            List<EvaluatedKeysEvent> result = new ArrayList<>();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.key().startsWith(flagKey + "|")) {
                        result.add(CODEC.decode(record.value()));
                    }
                }
            }
            return result;
        }
    }
}
