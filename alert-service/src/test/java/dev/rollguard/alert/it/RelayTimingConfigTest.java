package dev.rollguard.alert.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.alert.config.AlertConfig;
import dev.rollguard.alert.publisher.AlertPublisher;
import dev.rollguard.alert.publisher.RelayTiming;
import dev.rollguard.alert.support.AlertTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;

/**
 * The running service's outbox takeover outlasts the longest send of the alert channel, retries of the connector
 * included, as the producer was actually configured.
 */
@QuarkusTest
@QuarkusTestResource(AlertTestResource.class)
class RelayTimingConfigTest {

    @Inject
    KafkaClientService kafka;

    @Inject
    AlertConfig config;

    @Test
    void theTakeoverOutlastsTheAlertChannelsLongestSend() {
        Map<String, ?> producer = kafka.getProducer(AlertPublisher.CHANNEL).configuration();
        Duration maxBlock = setting(producer, ProducerConfig.MAX_BLOCK_MS_CONFIG);
        Duration delivery = setting(producer, ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG);
        Duration request = setting(producer, ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG);
        Duration linger = setting(producer, ProducerConfig.LINGER_MS_CONFIG);
        Duration takeover = config.relay().takeoverAfter();

        // The connector retries a failed send for delivery.timeout.ms, and its last attempt lasts max.block.ms +
        // delivery.timeout.ms.
        assertThat(takeover)
                .isGreaterThan(delivery.plus(maxBlock).plus(delivery).plus(RelayTiming.MARGIN));
        assertThat(request.plus(linger)).isLessThanOrEqualTo(delivery);
        assertThat(takeover).isLessThanOrEqualTo(Duration.ofSeconds(30));
    }

    /** The producer's value, or Kafka's default where the channel sets none. */
    private static Duration setting(Map<String, ?> producer, String name) {
        Object value = producer.get(name);
        if (value == null) {
            value = ProducerConfig.configDef().defaultValues().get(name);
        }
        return Duration.ofMillis(Long.parseLong(String.valueOf(value)));
    }
}
