package dev.rollguard.ingest.topology;

import dev.rollguard.schemas.Topics;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.jboss.logging.Logger;

/**
 * How Kafka Streams' exception handlers of metrics-ingest ({@link DeadLetterHandler}, {@link
 * ProcessingDeadLetterHandler}) write a record as it was read to the dead-letter topic. Kafka Streams 4.1 gives a
 * handler no access to the task's transactional producer, so these writes use a producer of their own: at least once
 * (a crash before the next commit writes the record again), while everything else of the topology is exactly once.
 * Each write is awaited (at most {@link #SEND_TIMEOUT}): one that fails is logged and reported, and the handler stops
 * the task rather than go on past a record written nowhere.
 *
 * <p>Configuration (Streams properties): {@value DeadLetterHandler#TOPIC_CONFIG} (default telemetry.dlq); {@value
 * DeadLetterHandler#SINK_CONFIG} may hold a {@link DeadLetterSink} instance instead of the producer (the
 * TopologyTestDriver tests use it).
 */
final class DeadLetters {

    // Not io.quarkus.logging.Log: this runs outside Quarkus too (architecture-tests' StreamThreadLoggingTest).
    private static final Logger LOG = Logger.getLogger(DeadLetters.class);

    private static final Map<String, KafkaProducer<byte[], byte[]>> PRODUCERS = new ConcurrentHashMap<>();
    /**
     * How long a dead-letter write may hold the stream thread: within the task's transaction timeout (Kafka Streams'
     * 10 s under exactly-once), past which the producer would be fenced and the task moved instead of failed.
     */
    static final Duration SEND_TIMEOUT = Duration.ofSeconds(5);

    /** A record as it was read: where from, its timestamp (-1: none), headers, key and bytes. */
    record Source(String topic, int partition, long offset, long timestamp, Headers headers, byte[] key, byte[] value) {

        static Source of(ConsumerRecord<byte[], byte[]> record) {
            return new Source(
                    record.topic(),
                    record.partition(),
                    record.offset(),
                    record.timestamp(),
                    record.headers(),
                    record.key(),
                    record.value());
        }

        static Source of(ErrorHandlerContext context) {
            return new Source(
                    context.topic(),
                    context.partition(),
                    context.offset(),
                    context.timestamp(),
                    context.headers(),
                    context.sourceRawKey(),
                    context.sourceRawValue());
        }
    }

    private final String topic;
    private final DeadLetterSink sink;

    private DeadLetters(String topic, DeadLetterSink sink) {
        this.topic = topic;
        this.sink = sink;
    }

    /** The dead letters the Streams properties configure. */
    static DeadLetters configured(Map<String, ?> configs) {
        Object configuredTopic = configs.get(DeadLetterHandler.TOPIC_CONFIG);
        String topic = configuredTopic != null ? configuredTopic.toString() : Topics.TELEMETRY_DLQ;
        if (configs.get(DeadLetterHandler.SINK_CONFIG) instanceof DeadLetterSink configured) {
            return new DeadLetters(topic, configured);
        }
        String bootstrap = String.valueOf(configs.get("bootstrap.servers"));
        return new DeadLetters(topic, record -> {
            try {
                producer(bootstrap).send(record).get(SEND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while writing a dead-letter record", e);
            } catch (ExecutionException | TimeoutException e) {
                throw new IllegalStateException("the dead-letter record could not be written", e);
            }
        });
    }

    String topic() {
        return topic;
    }

    /**
     * Writes {@code source} as it was read, with the dead-letter headers of {@code stage}, {@code code} and
     * {@code reason}, and counts it; false (logged) when it could not be written.
     */
    boolean write(Source source, String stage, String code, String reason) {
        var headers = new RecordHeaders(source.headers().toArray());
        DeadLetterHeaders.write(headers, stage, code, reason, source.topic(), source.partition(), source.offset());
        DeadLetterHeaders.Fit fit = DeadLetterHeaders.fit(
                source.key() == null ? -1 : source.key().length,
                source.value() == null ? -1 : source.value().length,
                headers);
        byte[] key = fit.keyOmitted() ? null : source.key();
        byte[] value = fit.valueOmitted() ? new byte[0] : source.value();
        // A record without a timestamp (-1) gets the producer's time: a ProducerRecord refuses a negative one.
        Long timestamp = source.timestamp() >= 0 ? source.timestamp() : null;
        try {
            sink.send(new ProducerRecord<>(topic, null, timestamp, key, value, fit.headers()));
        } catch (RuntimeException e) {
            LOG.errorf(
                    e,
                    "%s-%d@%d (%s %s) could not be written to %s: stopping, to read it again on restart",
                    source.topic(),
                    source.partition(),
                    source.offset(),
                    stage,
                    code,
                    topic);
            return false;
        }
        TopologyMetrics.deadLettered(stage, code);
        return true;
    }

    private static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
        return PRODUCERS.computeIfAbsent(bootstrap, servers -> {
            var producer = new KafkaProducer<>(
                    Map.<String, Object>of(
                            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                            servers,
                            ProducerConfig.ACKS_CONFIG,
                            "all",
                            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                            true,
                            ProducerConfig.CLIENT_ID_CONFIG,
                            "metrics-ingest-dlq"),
                    new ByteArraySerializer(),
                    new ByteArraySerializer());
            Runtime.getRuntime().addShutdownHook(new Thread(producer::close, "metrics-ingest-dlq-close"));
            return producer;
        });
    }
}
