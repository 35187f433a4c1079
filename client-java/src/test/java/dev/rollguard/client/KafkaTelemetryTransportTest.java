package dev.rollguard.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.infra.EmbeddedKafka;
import dev.rollguard.infra.SharedInfra;
import dev.rollguard.infra.TopicContents;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.event.UploadEvent;
import dev.rollguard.schemas.serde.AvroCodec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;

/** The Kafka transport against the real broker: each event on its topic, keyed by client id, in the schemas' Avro. */
class KafkaTelemetryTransportTest {

    @Test
    void everyEventReachesItsTopicKeyedByClientIdWithTheExposuresServed() throws Exception {
        String bootstrap = SharedInfra.kafkaBootstrap();
        String prefix = "client-" + UUID.randomUUID().toString().substring(0, 8) + ".";
        String syncTopic = prefix + "telemetry.sync";
        String uploadTopic = prefix + "telemetry.upload";
        EmbeddedKafka.createTopics(
                bootstrap, List.of(new NewTopic(syncTopic, 2, (short) 1), new NewTopic(uploadTopic, 1, (short) 1)));
        Exposures exposures = new Exposures();
        exposures.record("alice", "new-sync", "on", 3L);

        try (TelemetryClient client = TelemetryClient.builder(
                        new KafkaTelemetryTransport(
                                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
                                Duration.ofSeconds(30),
                                syncTopic,
                                uploadTopic),
                        "phone-7")
                .exposures(exposures)
                .batchSize(8)
                .build()) {
            for (int i = 0; i < 20; i++) {
                client.send(SyncEvent.newBuilder()
                        .setUserId("alice")
                        .setSuccess(i % 5 != 0)
                        .setDurationMs(100 + i));
            }
            client.send(
                    UploadEvent.newBuilder().setSuccess(true).setDurationMs(40).setBytes(2_048));
            assertThat(client.flush(Duration.ofSeconds(60))).isTrue();
            assertThat(client.stats().sent()).isEqualTo(21);
        }

        List<ConsumerRecord<String, byte[]>> syncs = TopicContents.readAll(bootstrap, syncTopic);
        assertThat(syncs).hasSize(20);
        assertThat(syncs).allSatisfy(r -> assertThat(r.key()).isEqualTo("phone-7"));
        SyncEvent first = AvroCodec.of(SyncEvent.class).decode(syncs.get(0).value());
        assertThat(first.getExposures()).hasSize(1);
        assertThat(first.getExposures().get(0).getFlagKey()).isEqualTo("new-sync");
        assertThat(first.getExposures().get(0).getFlagVersion()).isEqualTo(3L);
        assertThat(syncs.stream()
                        .map(r ->
                                AvroCodec.of(SyncEvent.class).decode(r.value()).getEventId())
                        .distinct())
                .hasSize(20);
        List<ConsumerRecord<String, byte[]>> uploads = TopicContents.readAll(bootstrap, uploadTopic);
        assertThat(uploads).hasSize(1);
        assertThat(AvroCodec.of(UploadEvent.class)
                        .decode(uploads.get(0).value())
                        .getBytes())
                .isEqualTo(2_048);
    }
}
