package dev.rollguard.alert.publisher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.rollguard.alert.config.AlertConfig;
import dev.rollguard.schemas.event.AlertEvent;
import io.quarkus.runtime.configuration.ConfigurationException;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * The start-up check that keeps the outbox takeover longer than one send, the alerts producer's settings, and the order
 * in which one alert's records are handed to the producer (on Kafka's {@link MockProducer}, which acknowledges or fails
 * a record when the test says so).
 */
class AlertSenderTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    private final MockProducer<String, AlertEvent> producer =
            new MockProducer<>(false, null, new StringSerializer(), (topic, event) -> new byte[0]);

    private AlertSender sender() {
        return new AlertSender(
                producer, Duration.ofSeconds(30), Duration.ofSeconds(1), Duration.ofSeconds(4), Duration.ofSeconds(2));
    }

    private static AlertEvent event(String alertId) {
        AlertEvent event = new AlertEvent();
        event.setAlertId(alertId);
        return event;
    }

    private List<String> handedOver() {
        return producer.history().stream()
                .map(ProducerRecord::value)
                .map(AlertEvent::getAlertId)
                .toList();
    }

    @Test
    void aTransitionAfterOneThatFailedUnsentFailsUntilThePollSendsThemAgainInOrder() {
        AlertSender sender = sender();
        try {
            CompletableFuture<Void> a0 = sender.send("K", event("A0")).subscribeAsCompletionStage();
            await().atMost(WAIT).until(() -> handedOver().size() == 1);
            // Sent after its commit, waiting behind A0: its turn comes with A0's acknowledgement, too late for its
            // bound.
            CompletableFuture<Void> a =
                    sender.send("K", event("A"), Instant.now()).subscribeAsCompletionStage();
            producer.completeNext();
            assertThat(a0).succeedsWithin(WAIT);
            assertThat(a).failsWithin(WAIT).withThrowableThat().withMessageContaining("its turn came too late");

            // The next commit's transition of the same alert, before the relay has learnt of A's failure (it waits
            // for the other sends of A's commit), must not reach Kafka ahead of A.
            CompletableFuture<Void> b =
                    sender.send("K", event("B"), Instant.now().plusSeconds(20)).subscribeAsCompletionStage();
            assertThat(b)
                    .failsWithin(WAIT)
                    .withThrowableThat()
                    .withMessageContaining("an earlier transition of its alert was not acknowledged");
            assertThat(handedOver()).containsExactly("A0");

            // Another alert is not held back by it.
            CompletableFuture<Void> other = sender.send("L", event("D")).subscribeAsCompletionStage();
            await().atMost(WAIT).until(() -> handedOver().size() == 2);
            producer.completeNext();
            assertThat(other).succeedsWithin(WAIT);

            // The poll forgets the failure and sends the alert's unacknowledged transitions again, in stored order.
            sender.forget(Set.of("K"));
            CompletableFuture<Void> aAgain = sender.send("K", event("A")).subscribeAsCompletionStage();
            CompletableFuture<Void> bAgain = sender.send("K", event("B")).subscribeAsCompletionStage();
            await().atMost(WAIT).until(() -> handedOver().size() == 3);
            producer.completeNext();
            assertThat(aAgain).succeedsWithin(WAIT);
            await().atMost(WAIT).until(() -> handedOver().size() == 4);
            producer.completeNext();
            assertThat(bAgain).succeedsWithin(WAIT);
            assertThat(handedOver()).containsExactly("A0", "D", "A", "B");
        } finally {
            sender.close();
        }
    }

    @Test
    void aTransitionAfterOneKafkaCanNeverTakeGoesOutWithoutThePoll() {
        AlertSender sender = sender();
        try {
            CompletableFuture<Void> tooLarge = sender.send("K", event("P")).subscribeAsCompletionStage();
            CompletableFuture<Void> next = sender.send("K", event("N")).subscribeAsCompletionStage();
            await().atMost(WAIT).until(() -> handedOver().size() == 1);
            producer.errorNext(new RecordTooLargeException("The message is 2000123 bytes when serialized"));
            assertThat(tooLarge)
                    .failsWithin(WAIT)
                    .withThrowableThat()
                    .withCauseInstanceOf(RecordTooLargeException.class);

            // It will never be on the topic, so nothing can overtake it: the next one goes, with no poll forgetting.
            await().atMost(WAIT).until(() -> handedOver().size() == 2);
            producer.completeNext();
            assertThat(next).succeedsWithin(WAIT);
            CompletableFuture<Void> later =
                    sender.send("K", event("L"), Instant.now().plusSeconds(20)).subscribeAsCompletionStage();
            await().atMost(WAIT).until(() -> handedOver().size() == 3);
            producer.completeNext();
            assertThat(later).succeedsWithin(WAIT);
            assertThat(handedOver()).containsExactly("P", "N", "L");
        } finally {
            sender.close();
        }
    }

    @Test
    void forgettingKeepsARecordStillOnItsWay() {
        AlertSender sender = sender();
        try {
            CompletableFuture<Void> first = sender.send("K", event("first")).subscribeAsCompletionStage();
            await().atMost(WAIT).until(() -> handedOver().size() == 1);
            sender.forget(Set.of("K"));
            CompletableFuture<Void> second = sender.send("K", event("second")).subscribeAsCompletionStage();
            // The sending thread takes its tasks in order: once a record of another alert sent after it is handed
            // over, the second record of K has been dealt with, and it must still wait.
            CompletableFuture<Void> other = sender.send("L", event("other")).subscribeAsCompletionStage();
            await().atMost(WAIT).until(() -> handedOver().size() == 2);
            assertThat(handedOver()).containsExactly("first", "other");
            assertThat(second).isNotDone();
            // Handed over only after the first is acknowledged.
            producer.completeNext();
            assertThat(first).succeedsWithin(WAIT);
            await().atMost(WAIT).until(() -> handedOver().size() == 3);
            assertThat(handedOver()).containsExactly("first", "other", "second");
            producer.completeNext();
            producer.completeNext();
            assertThat(other).succeedsWithin(WAIT);
            assertThat(second).succeedsWithin(WAIT);
        } finally {
            sender.close();
        }
    }

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
