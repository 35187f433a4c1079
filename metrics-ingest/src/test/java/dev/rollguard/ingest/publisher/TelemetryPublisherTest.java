package dev.rollguard.ingest.publisher;

import static dev.rollguard.ingest.TelemetryFixtures.sync;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** A send the producer refuses at once fails the batch's Uni (answered 503), instead of throwing out of the request. */
class TelemetryPublisherTest {

    @Test
    void aBatchSentAfterTheProducerClosedFailsItsUniRatherThanThrowing() {
        var producer = new KafkaProducer<>(
                Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:1"),
                new StringSerializer(),
                new ByteArraySerializer());
        TelemetryPublisher publisher = new TelemetryPublisher(producer);
        publisher.close();

        List<SpecificRecord> batch = List.of(sync("c1", Instant.now(), true, 10).build());
        Throwable failure = publisher
                .publish(batch, null)
                .onItem()
                .transform(ignored -> (Throwable) null)
                .onFailure()
                .recoverWithItem(e -> e)
                .await()
                .indefinitely();

        assertThat(failure).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }
}
