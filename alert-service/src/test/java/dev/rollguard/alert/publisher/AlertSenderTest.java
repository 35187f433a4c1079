package dev.rollguard.alert.publisher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollguard.alert.config.AlertConfig;
import io.quarkus.runtime.configuration.ConfigurationException;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;

/** The start-up check that keeps the outbox takeover longer than one send, and the alerts producer's settings. */
class AlertSenderTest {

    @Test
    void refusesATakeoverShorterThanASendWithKafkasDefaultTimeouts() {
        // Kafka's defaults: max.block.ms 60 s, delivery.timeout.ms 120 s, request.timeout.ms 30 s.
        assertThatThrownBy(() -> AlertSender.check(
                        Duration.ofSeconds(10),
                        Duration.ofSeconds(60),
                        Duration.ofSeconds(120),
                        Duration.ofSeconds(30)))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("alert-service.relay.takeover-after (10000 ms)")
                .hasMessageContaining("twice alert-service.relay.max-block (60000 ms)")
                .hasMessageContaining("alert-service.relay.delivery-timeout (120000 ms)")
                .hasMessageContaining("alert-service.relay.request-timeout (30000 ms)")
                .satisfies(e -> assertThat(((ConfigurationException) e).getConfigKeys())
                        .containsExactlyInAnyOrder(
                                "alert-service.relay.takeover-after",
                                "alert-service.relay.max-block",
                                "alert-service.relay.delivery-timeout",
                                "alert-service.relay.request-timeout"));
    }

    @Test
    void refusesATakeoverNoLongerThanTheLongestSendAndTheMargin() {
        Duration maxBlock = Duration.ofSeconds(3);
        Duration delivery = Duration.ofSeconds(10);
        Duration request = Duration.ofSeconds(5);
        // Up to max.block waiting to be handed over, up to max.block in the hand-over, the delivery timeout, then a
        // request still on the wire.
        Duration limit = maxBlock.plus(maxBlock).plus(delivery).plus(request).plus(AlertSender.MARGIN);
        assertThat(AlertSender.longestSend(maxBlock, delivery, request)).isEqualTo(Duration.ofSeconds(21));
        assertThatThrownBy(() -> AlertSender.check(limit, maxBlock, delivery, request))
                .isInstanceOf(ConfigurationException.class);
        assertThatCode(() -> AlertSender.check(limit.plusMillis(1), maxBlock, delivery, request))
                .doesNotThrowAnyException();
    }

    @Test
    void refusesThePreviousReleasesTakeoverAgainstTheShippedTimeouts() throws Exception {
        assertThatThrownBy(() -> AlertSender.check(
                        Duration.ofSeconds(10),
                        shippedDefault("maxBlock"),
                        shippedDefault("deliveryTimeout"),
                        shippedDefault("requestTimeout")))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("alert-service.relay.takeover-after (10000 ms)");
    }

    @Test
    void acceptsTheShippedDefaults() throws Exception {
        Duration takeover = shippedDefault("takeoverAfter");
        Duration maxBlock = shippedDefault("maxBlock");
        Duration delivery = shippedDefault("deliveryTimeout");
        Duration request = shippedDefault("requestTimeout");
        assertThatCode(() -> AlertSender.check(takeover, maxBlock, delivery, request))
                .doesNotThrowAnyException();
        // Kafka refuses a request timeout that, with linger.ms 0, does not fit in the delivery timeout.
        assertThat(request).isLessThanOrEqualTo(delivery);
        // A crashed instance's alerts are still published within about half a minute.
        assertThat(takeover).isLessThanOrEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void theProducerTakesTheSharedClientSettingsAndTheRelaysOwnTimeouts() {
        Map<String, Object> kafka = Map.of(
                "bootstrap.servers", "broker:9092",
                "security.protocol", "SSL",
                "max.block.ms", "60000",
                "group.id", "not-a-producer-setting");
        Map<String, Object> settings = AlertSender.producerSettings(kafka, relay());
        ProducerConfig effective = new ProducerConfig(settings);

        assertThat(settings).doesNotContainKey("group.id");
        assertThat(effective.getList(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG)).containsExactly("broker:9092");
        assertThat(effective.getString("security.protocol")).isEqualTo("SSL");
        assertThat(effective.getString(ProducerConfig.ACKS_CONFIG)).isEqualTo("-1");
        assertThat(effective.getBoolean(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG))
                .isTrue();
        assertThat(effective.getLong(ProducerConfig.MAX_BLOCK_MS_CONFIG)).isEqualTo(1_000L);
        assertThat(effective.getInt(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG)).isEqualTo(4_000);
        assertThat(effective.getInt(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG)).isEqualTo(2_000);
    }

    private static AlertConfig.Relay relay() {
        return new AlertConfig.Relay() {
            @Override
            public Duration interval() {
                return Duration.ofSeconds(1);
            }

            @Override
            public int batchSize() {
                return 500;
            }

            @Override
            public Duration takeoverAfter() {
                return Duration.ofSeconds(30);
            }

            @Override
            public Duration maxBlock() {
                return Duration.ofSeconds(1);
            }

            @Override
            public Duration deliveryTimeout() {
                return Duration.ofSeconds(4);
            }

            @Override
            public Duration requestTimeout() {
                return Duration.ofSeconds(2);
            }
        };
    }

    private static Duration shippedDefault(String property) throws NoSuchMethodException {
        String value = AlertConfig.Relay.class
                .getMethod(property)
                .getAnnotation(WithDefault.class)
                .value();
        return Duration.parse("PT" + value.toUpperCase());
    }
}
