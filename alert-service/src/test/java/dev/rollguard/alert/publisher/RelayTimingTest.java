package dev.rollguard.alert.publisher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollguard.alert.config.AlertConfig;
import io.quarkus.runtime.configuration.ConfigurationException;
import io.smallrye.config.WithDefault;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Optional;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** The start-up check that keeps the outbox takeover longer than a send of the alert channel. */
class RelayTimingTest {

    @Test
    void refusesATakeoverShorterThanKafkasDefaultSend() {
        // Kafka's defaults: max.block.ms 60 s, delivery.timeout.ms 120 s.
        assertThatThrownBy(() ->
                        RelayTiming.check(Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ofSeconds(120)))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("alert-service.relay.takeover-after (10000 ms)")
                .hasMessageContaining("mp.messaging.outgoing.alerts-out.max.block.ms (60000 ms)")
                .hasMessageContaining("mp.messaging.outgoing.alerts-out.delivery.timeout.ms (120000 ms)")
                .satisfies(e -> assertThat(((ConfigurationException) e).getConfigKeys())
                        .containsExactlyInAnyOrder(
                                "alert-service.relay.takeover-after",
                                "mp.messaging.outgoing.alerts-out.max.block.ms",
                                "mp.messaging.outgoing.alerts-out.delivery.timeout.ms"));
    }

    @Test
    void refusesATakeoverNoLongerThanTheSendAndTheMargin() {
        Duration maxBlock = Duration.ofSeconds(5);
        Duration delivery = Duration.ofSeconds(15);
        // The connector may start a last attempt up to delivery.timeout.ms after the first, and it runs max.block.ms +
        // delivery.timeout.ms.
        Duration limit = delivery.plus(maxBlock).plus(delivery).plus(RelayTiming.MARGIN);
        assertThatThrownBy(() -> RelayTiming.check(limit, maxBlock, delivery))
                .isInstanceOf(ConfigurationException.class);
        assertThatCode(() -> RelayTiming.check(limit.plusMillis(1), maxBlock, delivery))
                .doesNotThrowAnyException();
    }

    @Test
    void refusesThirtySecondsAgainstAFiveSecondBlockAndAFifteenSecondDelivery() {
        // A send can last 15 s + 5 s + 15 s when the connector retries it, longer than the takeover.
        assertThatThrownBy(
                        () -> RelayTiming.check(Duration.ofSeconds(30), Duration.ofSeconds(5), Duration.ofSeconds(15)))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("alert-service.relay.takeover-after (30000 ms)")
                .hasMessageContaining("twice mp.messaging.outgoing.alerts-out.delivery.timeout.ms (15000 ms)");
    }

    @Test
    void refusesTheTakeoverOfThePreviousReleaseAgainstTheShippedTimeouts() throws Exception {
        Properties properties = applicationProperties();
        assertThatThrownBy(() -> RelayTiming.check(
                        Duration.ofSeconds(10),
                        Duration.ofMillis(Long.parseLong(properties.getProperty(RelayTiming.MAX_BLOCK))),
                        Duration.ofMillis(Long.parseLong(properties.getProperty(RelayTiming.DELIVERY_TIMEOUT)))))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("alert-service.relay.takeover-after (10000 ms)");
    }

    @Test
    void refusesARetriesCount() {
        assertThatThrownBy(() -> RelayTiming.checkRetries(Optional.of(3L)))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("mp.messaging.outgoing.alerts-out.retries (3)")
                .satisfies(e -> assertThat(((ConfigurationException) e).getConfigKeys())
                        .containsExactly("mp.messaging.outgoing.alerts-out.retries"));
        assertThatCode(() -> RelayTiming.checkRetries(Optional.empty())).doesNotThrowAnyException();
        assertThatCode(() -> RelayTiming.checkRetries(Optional.of((long) Integer.MAX_VALUE)))
                .doesNotThrowAnyException();
    }

    @Test
    void acceptsTheDefaults() throws Exception {
        Duration takeover = Duration.parse("PT"
                + AlertConfig.Relay.class
                        .getMethod("takeoverAfter")
                        .getAnnotation(WithDefault.class)
                        .value()
                        .toUpperCase());
        Properties properties = applicationProperties();
        Duration maxBlock = Duration.ofMillis(Long.parseLong(properties.getProperty(RelayTiming.MAX_BLOCK, "60000")));
        Duration delivery =
                Duration.ofMillis(Long.parseLong(properties.getProperty(RelayTiming.DELIVERY_TIMEOUT, "120000")));

        Duration request = Duration.ofMillis(
                Long.parseLong(properties.getProperty(RelayTiming.CHANNEL_PREFIX + "request.timeout.ms")));

        assertThatCode(() -> RelayTiming.check(takeover, maxBlock, delivery)).doesNotThrowAnyException();
        assertThat(properties.getProperty(RelayTiming.RETRIES)).isNull();
        // Kafka refuses a request timeout that, with linger.ms 0, does not fit in the delivery timeout.
        assertThat(request).isLessThanOrEqualTo(delivery);
        // A crashed instance's alerts are still published within about half a minute.
        assertThat(takeover).isLessThanOrEqualTo(Duration.ofSeconds(30));
    }

    private static Properties applicationProperties() throws IOException {
        Properties properties = new Properties();
        try (InputStream in = RelayTimingTest.class.getResourceAsStream("/application.properties")) {
            properties.load(in);
        }
        return properties;
    }
}
