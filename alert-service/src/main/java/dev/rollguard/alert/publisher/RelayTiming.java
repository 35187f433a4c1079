package dev.rollguard.alert.publisher;

import dev.rollguard.alert.config.AlertConfig;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.runtime.configuration.ConfigurationException;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.eclipse.microprofile.config.Config;

/**
 * Refuses to start when another instance could take over a transition this instance is still sending.
 *
 * <p>The outbox poll takes over another instance's unpublished transitions {@code relay.takeover-after} after they
 * were stored. The instance that stored one may still be sending it: the Kafka producer of the alert channel blocks
 * in {@code send} for up to {@code max.block.ms} (waiting for the topic's metadata) and then retries the record for up
 * to {@code delivery.timeout.ms}. On top of that, the channel sets no {@code retries}, so the SmallRye Kafka sink
 * starts a send again after a recoverable failure (backoff 1 s to 20 s) for as long as {@code delivery.timeout.ms}
 * after the first attempt began, and that last attempt again lasts up to {@code max.block.ms} + {@code
 * delivery.timeout.ms}. Were the takeover shorter, both instances could send the transition, and the late copy could
 * land after a later transition of its fingerprint. The takeover must therefore outlast {@code delivery.timeout.ms} +
 * {@code max.block.ms} + {@code delivery.timeout.ms}, plus {@link #MARGIN}.
 */
@ApplicationScoped
public class RelayTiming {

    /**
     * Time between a transition's {@code emitted_at} and the start of its send (the commit of its batch, the
     * evaluator's lane) and the clock difference between two instances, which compare their clocks' times.
     */
    public static final Duration MARGIN = Duration.ofSeconds(5);

    static final String TAKEOVER_AFTER = "alert-service.relay.takeover-after";
    static final String CHANNEL_PREFIX = "mp.messaging.outgoing." + AlertPublisher.CHANNEL + ".";
    static final String MAX_BLOCK = CHANNEL_PREFIX + ProducerConfig.MAX_BLOCK_MS_CONFIG;
    static final String DELIVERY_TIMEOUT = CHANNEL_PREFIX + ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG;
    static final String RETRIES = CHANNEL_PREFIX + ProducerConfig.RETRIES_CONFIG;

    /** The connector's {@code retries} when none is set: retry for {@code delivery.timeout.ms}, not by count. */
    static final long UNBOUNDED_RETRIES = Integer.MAX_VALUE;

    private final AlertConfig alertConfig;
    private final Config config;

    public RelayTiming(AlertConfig alertConfig, Config config) {
        this.alertConfig = alertConfig;
        this.config = config;
    }

    /** Runs before the relay starts (before the other start-up observers). */
    void onStart(@Observes @Priority(1) StartupEvent event) {
        checkRetries(config.getOptionalValue(RETRIES, Long.class)
                .or(() -> config.getOptionalValue("mp.messaging.connector.smallrye-kafka.retries", Long.class)));
        check(
                alertConfig.relay().takeoverAfter(),
                producerSetting(ProducerConfig.MAX_BLOCK_MS_CONFIG),
                producerSetting(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG));
    }

    /**
     * Throws a {@link ConfigurationException} naming the properties unless {@code takeoverAfter} is longer than the
     * longest a send of the alert channel can last plus {@link #MARGIN}.
     */
    public static void check(Duration takeoverAfter, Duration maxBlock, Duration deliveryTimeout) {
        if (takeoverAfter.compareTo(longestSend(maxBlock, deliveryTimeout).plus(MARGIN)) <= 0) {
            throw new ConfigurationException(
                    String.format(
                            "%s (%d ms) must be longer than twice %s (%d ms) + %s (%d ms) + %d ms: the Kafka"
                                    + " connector starts a failed send again until delivery.timeout.ms after its first"
                                    + " attempt, and that attempt lasts up to max.block.ms + delivery.timeout.ms, so"
                                    + " another instance would take over alerts this instance may still be sending,"
                                    + " and publish them twice, perhaps after later transitions of the same alert."
                                    + " Lengthen the takeover or shorten the alert channel's timeouts.",
                            TAKEOVER_AFTER,
                            takeoverAfter.toMillis(),
                            DELIVERY_TIMEOUT,
                            deliveryTimeout.toMillis(),
                            MAX_BLOCK,
                            maxBlock.toMillis(),
                            MARGIN.toMillis()),
                    Set.of(TAKEOVER_AFTER, MAX_BLOCK, DELIVERY_TIMEOUT));
        }
    }

    /**
     * Throws a {@link ConfigurationException} naming the property when the alert channel's {@code retries} is set to a
     * count: the connector then retries a failed send that many times with a backoff of up to 20 s each, which no
     * takeover bounds.
     */
    public static void checkRetries(Optional<Long> retries) {
        if (retries.isPresent() && retries.get() != UNBOUNDED_RETRIES) {
            throw new ConfigurationException(
                    String.format(
                            "%s (%d) must be left unset: with a count the Kafka connector retries a failed alert that"
                                    + " many times regardless of delivery.timeout.ms, so another instance could take"
                                    + " over an alert this instance is still sending.",
                            RETRIES, retries.get()),
                    Set.of(RETRIES));
        }
    }

    /**
     * The longest a send of the alert channel lasts, from the sink taking the record to its failure: the sink starts a
     * new attempt up to {@code delivery.timeout.ms} after the first one began, and an attempt waits up to {@code
     * max.block.ms} for metadata and then up to {@code delivery.timeout.ms} for the broker.
     */
    public static Duration longestSend(Duration maxBlock, Duration deliveryTimeout) {
        return deliveryTimeout.plus(maxBlock).plus(deliveryTimeout);
    }

    /**
     * A producer setting of the alert channel as the connector resolves it: the channel's own, else the one every Kafka
     * channel shares ({@code kafka.*}), else Kafka's default.
     */
    private Duration producerSetting(String name) {
        Optional<Long> channel = config.getOptionalValue(CHANNEL_PREFIX + name, Long.class);
        Optional<Long> shared = config.getOptionalValue("kafka." + name, Long.class);
        long millis = channel.or(() -> shared)
                .orElseGet(() ->
                        ((Number) ProducerConfig.configDef().defaultValues().get(name)).longValue());
        return Duration.ofMillis(millis);
    }
}
