package dev.rollguard.alert.publisher;

import dev.rollguard.alert.config.AlertConfig;
import dev.rollguard.schemas.Topics;
import dev.rollguard.schemas.event.AlertEvent;
import dev.rollguard.schemas.serde.AvroSerde;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.runtime.configuration.ConfigurationException;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Sends the outbox relay's records to the {@code alerts} topic with one attempt each, on a Kafka producer of its own.
 *
 * <p>A record the producer failed is not sent again here: the failure reaches the relay, whose poll sends the
 * unpublished transitions again in stored order. The SmallRye Kafka sink would instead start a failed record again on
 * its own back-off, record by record, which can put two transitions of one alert out of order and makes a send last
 * longer than the takeover of another instance. Kafka's retries inside the idempotent producer stay: they keep the
 * order within a partition.
 *
 * <p>A record of an alert (a key) is handed to the producer only once the previous record of that key was
 * acknowledged, or failed {@linkplain RelayFailures#permanent permanently} (it can never be on the topic); if that one
 * failed otherwise, it fails unsent. Otherwise a later transition could be acknowledged while an
 * earlier one the producer expired before sending it is left to the poll, which would put it after the later one. A
 * failed record is remembered until the poll {@linkplain #forget forgets} its key to send it again, so every later
 * record of its alert fails unsent until then, however long the relay takes to learn of the failure.
 *
 * <p>A send ends within {@link #longestSend} of its turn (subscribed, and the previous record of its alert
 * acknowledged): from then a record waits at most {@code max.block.ms} to be handed to the producer (behind a hand-over
 * of another alert waiting for metadata) and fails unsent after that; the hand-over blocks at most {@code
 * max.block.ms}; the producer acknowledges or fails it within {@code delivery.timeout.ms}, though a request already on
 * the wire may still be appended until {@code request.timeout.ms} has passed. The wait for the previous record of its
 * alert does not count, so a poll round with many transitions of one alert is not failed by its length; a send after
 * commit is given the latest time its turn may come instead. The service refuses to start unless the takeover is longer
 * than the longest send plus {@link #MARGIN}.
 */
@ApplicationScoped
public class AlertSender {

    /** Clock difference between instances, and a write the broker had received just before its record timed out. */
    public static final Duration MARGIN = Duration.ofSeconds(5);

    static final String TAKEOVER_AFTER = "alert-service.relay.takeover-after";
    static final String MAX_BLOCK = "alert-service.relay.max-block";
    static final String DELIVERY_TIMEOUT = "alert-service.relay.delivery-timeout";
    static final String REQUEST_TIMEOUT = "alert-service.relay.request-timeout";

    private final Map<String, Object> settings;
    private final Duration takeoverAfter;
    private final Duration maxBlock;
    private final Duration deliveryTimeout;
    private final Duration requestTimeout;
    private final MeterRegistry meters;
    private final ExecutorService sending = Executors.newSingleThreadExecutor(task -> {
        Thread thread = new Thread(task, "alert-sender");
        thread.setDaemon(true);
        return thread;
    });

    private volatile Producer<String, AlertEvent> producer;
    private KafkaClientMetrics producerMetrics;

    /**
     * The outcome of the last record of each key: until it is acknowledged, or, once failed, until the poll forgets it
     * ({@link #forget}); touched on the sending thread only.
     */
    private final Map<String, CompletableFuture<Void>> lastOfKey = new HashMap<>();

    @Inject
    public AlertSender(
            AlertConfig config, @Identifier("default-kafka-broker") Map<String, Object> kafka, MeterRegistry meters) {
        this.settings = producerSettings(kafka, config.relay());
        this.meters = meters;
        ProducerConfig effective = new ProducerConfig(settings);
        this.maxBlock = Duration.ofMillis(effective.getLong(ProducerConfig.MAX_BLOCK_MS_CONFIG));
        this.deliveryTimeout = Duration.ofMillis(effective.getInt(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG));
        this.requestTimeout = Duration.ofMillis(effective.getInt(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG));
        this.takeoverAfter = config.relay().takeoverAfter();
    }

    /** A sender on the given producer, already open. */
    AlertSender(
            Producer<String, AlertEvent> producer,
            Duration takeoverAfter,
            Duration maxBlock,
            Duration deliveryTimeout,
            Duration requestTimeout) {
        this.settings = Map.of();
        this.meters = null;
        this.producer = producer;
        this.takeoverAfter = takeoverAfter;
        this.maxBlock = maxBlock;
        this.deliveryTimeout = deliveryTimeout;
        this.requestTimeout = requestTimeout;
    }

    /**
     * The producer's settings: the Kafka client settings every channel shares ({@code kafka.*}: brokers, security),
     * then the relay's: acknowledged by every in-sync replica, idempotent, sent at once, bounded in time.
     */
    static Map<String, Object> producerSettings(Map<String, Object> kafka, AlertConfig.Relay relay) {
        Map<String, Object> settings = new HashMap<>();
        Set<String> producerNames = ProducerConfig.configNames();
        kafka.forEach((name, value) -> {
            if (producerNames.contains(name)) {
                settings.put(name, value);
            }
        });
        settings.put(ProducerConfig.CLIENT_ID_CONFIG, "alert-service-alerts");
        // The producer is given instances of these; the names make the settings complete on their own.
        settings.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        settings.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, AvroSerde.AvroSerializer.class);
        settings.put(ProducerConfig.ACKS_CONFIG, "all");
        settings.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        settings.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        settings.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, relay.maxBlock().toMillis());
        settings.put(
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG,
                Math.toIntExact(relay.deliveryTimeout().toMillis()));
        settings.put(
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG,
                Math.toIntExact(relay.requestTimeout().toMillis()));
        return settings;
    }

    /** Checks the timing and opens the producer before the relay starts (before the other start-up observers). */
    void onStart(@Observes @Priority(1) StartupEvent event) {
        check(takeoverAfter, maxBlock, deliveryTimeout, requestTimeout);
        // Kafka refuses a delivery timeout shorter than linger.ms + request.timeout.ms here, at start.
        producer =
                new KafkaProducer<>(settings, new StringSerializer(), new AvroSerde.AvroSerializer<>(AlertEvent.class));
        producerMetrics = new KafkaClientMetrics(producer);
        producerMetrics.bindTo(meters);
    }

    /**
     * Throws a {@link ConfigurationException} naming the properties unless {@code takeoverAfter} is longer than the
     * longest send plus {@link #MARGIN}.
     */
    public static void check(
            Duration takeoverAfter, Duration maxBlock, Duration deliveryTimeout, Duration requestTimeout) {
        if (takeoverAfter.compareTo(
                        longestSend(maxBlock, deliveryTimeout, requestTimeout).plus(MARGIN))
                <= 0) {
            throw new ConfigurationException(
                    String.format(
                            "%s (%d ms) must be longer than twice %s (%d ms) + %s (%d ms) + %s (%d ms) + %d ms: a"
                                    + " send of an alert lasts that long at most (waiting to be handed to the Kafka"
                                    + " producer, the hand-over, the producer's delivery, a request still on the"
                                    + " wire), and another instance would take"
                                    + " over alerts this instance may still be sending and publish them twice,"
                                    + " perhaps after later transitions of the same alert. Lengthen the takeover or"
                                    + " shorten the producer's timeouts.",
                            TAKEOVER_AFTER,
                            takeoverAfter.toMillis(),
                            MAX_BLOCK,
                            maxBlock.toMillis(),
                            DELIVERY_TIMEOUT,
                            deliveryTimeout.toMillis(),
                            REQUEST_TIMEOUT,
                            requestTimeout.toMillis(),
                            MARGIN.toMillis()),
                    Set.of(TAKEOVER_AFTER, MAX_BLOCK, DELIVERY_TIMEOUT, REQUEST_TIMEOUT));
        }
    }

    /** The longest a send lasts, from its turn to its outcome and the last write it may cause. */
    public static Duration longestSend(Duration maxBlock, Duration deliveryTimeout, Duration requestTimeout) {
        return maxBlock.multipliedBy(2).plus(deliveryTimeout).plus(requestTimeout);
    }

    /**
     * How old a transition may be when its send's turn comes so that the send ends before another instance may take it
     * over: after that, only a poll, which locks it, may send it.
     */
    public Duration sendableFor() {
        return takeoverAfter
                .minus(longestSend(maxBlock, deliveryTimeout, requestTimeout))
                .minus(MARGIN);
    }

    /**
     * Sends one record, once, when subscribed: completes when Kafka acknowledged it, fails when the producer failed it
     * or it was not handed to the producer (an earlier record of its key failed, or it waited too long once its turn
     * came). Records are handed to the producer in the order they are subscribed to, each key's after the previous
     * one's acknowledgement. For the poll, whose row locks cover the send however long it waits for its turn.
     */
    public Uni<Void> send(String key, AlertEvent event) {
        return send(key, event, null);
    }

    /**
     * Like {@link #send(String, AlertEvent)}, but the record fails unsent if its turn comes after {@code turnBy}: a
     * send after commit, unlocked, must end before another instance may take the transition over.
     */
    public Uni<Void> send(String key, AlertEvent event, Instant turnBy) {
        return Uni.createFrom().emitter(emitter -> {
            Context context = Vertx.currentContext();
            long now = System.nanoTime();
            // Measured on the monotonic clock from here on; a record without a bound never reaches this one.
            long latestTurn = turnBy == null
                    ? Long.MAX_VALUE
                    : now + Math.max(0, Duration.between(Instant.now(), turnBy).toNanos());
            Consumer<Throwable> settle = failure -> {
                Runnable outcome = () -> {
                    if (failure == null) {
                        emitter.complete(null);
                    } else {
                        emitter.fail(failure);
                    }
                };
                // The caller's context, not the producer's I/O thread, carries on with the outcome.
                if (context != null) {
                    context.runOnContext(v -> outcome.run());
                } else {
                    outcome.run();
                }
            };
            try {
                sending.execute(() -> enqueue(key, event, now, latestTurn, settle));
            } catch (RejectedExecutionException e) {
                settle.accept(new IllegalStateException("not sent: the service is stopping"));
            }
        });
    }

    private void enqueue(String key, AlertEvent event, long subscribedAt, long latestTurn, Consumer<Throwable> settle) {
        CompletableFuture<Void> outcome = new CompletableFuture<>();
        CompletableFuture<Void> previous = lastOfKey.put(key, outcome);
        outcome.whenComplete((ignored, failure) -> {
            // An acknowledgement is forgotten before anyone learns of it, so a record sent after that is not judged by
            // it. A failure stays until the poll forgets it: the relay learns of it only when the other sends of its
            // commit have ended, and a later record of the alert must not reach Kafka before the poll resends this one.
            // A record that can never be sent is settled like an acknowledged one: it will never be on the topic, so
            // nothing later of its alert can overtake it, and the relay dead-letters it.
            if (failure == null || RelayFailures.permanent(failure)) {
                onSendingThread(() -> lastOfKey.remove(key, outcome), null);
            }
            settle.accept(failure);
        });
        if (previous == null) {
            handOver(key, event, subscribedAt, latestTurn, outcome);
            return;
        }
        previous.whenComplete((ignored, failure) -> {
            // Its turn comes with the previous record's acknowledgement, not when the sending thread gets to it.
            long turn = System.nanoTime();
            onSendingThread(
                    () -> {
                        if (failure != null && !RelayFailures.permanent(failure)) {
                            outcome.completeExceptionally(new IllegalStateException(
                                    "not sent: an earlier transition of its alert was not acknowledged", failure));
                        } else {
                            handOver(key, event, turn, latestTurn, outcome);
                        }
                    },
                    outcome);
        });
    }

    /**
     * Forgets the failed last records of these keys, so that their records are handed to the producer again: called by
     * the poll just before it sends them again in stored order. A key whose last record has not ended yet is kept.
     */
    public void forget(Collection<String> keys) {
        if (keys.isEmpty()) {
            return;
        }
        List<String> copy = List.copyOf(keys);
        onSendingThread(
                () -> copy.forEach(key -> {
                    CompletableFuture<Void> last = lastOfKey.get(key);
                    if (last != null && last.isCompletedExceptionally()) {
                        lastOfKey.remove(key);
                    }
                }),
                null);
    }

    private void handOver(String key, AlertEvent event, long turn, long latestTurn, CompletableFuture<Void> outcome) {
        if (turn - latestTurn > 0) {
            outcome.completeExceptionally(new IllegalStateException(
                    "not sent: its turn came too late to end before another instance may take it over"));
            return;
        }
        if (System.nanoTime() - (turn + maxBlock.toNanos()) > 0) {
            outcome.completeExceptionally(new IllegalStateException(
                    "not sent: it waited longer than " + maxBlock.toMillis() + " ms to be handed to Kafka"));
            return;
        }
        try {
            producer.send(new ProducerRecord<>(Topics.ALERTS, key, event), (metadata, failure) -> {
                if (failure == null) {
                    outcome.complete(null);
                } else {
                    outcome.completeExceptionally(failure);
                }
            });
        } catch (RuntimeException e) {
            outcome.completeExceptionally(e);
        }
    }

    private void onSendingThread(Runnable task, CompletableFuture<Void> failOnRejection) {
        try {
            sending.execute(task);
        } catch (RejectedExecutionException e) {
            if (failOnRejection != null) {
                failOnRejection.completeExceptionally(new IllegalStateException("not sent: the service is stopping"));
            }
        }
    }

    @PreDestroy
    void close() {
        sending.shutdown();
        if (producerMetrics != null) {
            producerMetrics.close();
        }
        if (producer != null) {
            producer.close(deliveryTimeout);
        }
    }
}
