package dev.rollguard.ingest.topology;

import dev.rollguard.schemas.Topics;
import dev.rollguard.schemas.serde.AvroDecodingException;
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
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.jboss.logging.Logger;

/**
 * Kafka Streams' deserialization-exception handler of metrics-ingest: a record that cannot be decoded is written to
 * the dead-letter topic, with its original key and bytes and the reason and source in headers, and processing
 * continues. Kafka Streams 4.1 gives a handler no access to the task's transactional producer, so these dead-letter
 * writes use a separate idempotent producer: at least once (a crash before the next commit writes the record again),
 * while everything else of the topology is exactly once. Each write is awaited (at most {@link #SEND_TIMEOUT}): one
 * that fails stops the task rather than continue past a record written nowhere.
 *
 * <p>Configuration (Streams properties): {@value #TOPIC_CONFIG} (default telemetry.dlq); {@value #SINK_CONFIG} may
 * hold a {@link DeadLetterSink} instance instead of the producer (the TopologyTestDriver tests use it).
 */
public class DeadLetterHandler implements DeserializationExceptionHandler {

    // Not io.quarkus.logging.Log: this runs outside Quarkus too (architecture-tests' StreamThreadLoggingTest).
    private static final Logger LOG = Logger.getLogger(DeadLetterHandler.class);

    public static final String TOPIC_CONFIG = "rollguard.dlq.topic";
    public static final String SINK_CONFIG = "rollguard.dlq.sink";

    private static final Map<String, KafkaProducer<byte[], byte[]>> PRODUCERS = new ConcurrentHashMap<>();
    /** How long a dead-letter write may hold the stream thread: well within its max.poll.interval.ms (5 min). */
    static final Duration SEND_TIMEOUT = Duration.ofMinutes(1);

    private String topic = Topics.TELEMETRY_DLQ;
    private DeadLetterSink sink;

    @Override
    public void configure(Map<String, ?> configs) {
        topic = topic(configs);
        sink = sink(configs);
    }

    /** The dead-letter topic the Streams properties name ({@value #TOPIC_CONFIG}), else telemetry.dlq. */
    static String topic(Map<String, ?> configs) {
        Object configuredTopic = configs.get(TOPIC_CONFIG);
        return configuredTopic != null ? configuredTopic.toString() : Topics.TELEMETRY_DLQ;
    }

    /**
     * Where dead letters go: the {@value #SINK_CONFIG} instance, else a producer to the Streams bootstrap servers whose
     * every write is awaited (at most {@link #SEND_TIMEOUT}) and throws when it failed.
     */
    static DeadLetterSink sink(Map<String, ?> configs) {
        if (configs.get(SINK_CONFIG) instanceof DeadLetterSink configured) {
            return configured;
        }
        String bootstrap = String.valueOf(configs.get("bootstrap.servers"));
        return record -> {
            try {
                producer(bootstrap).send(record).get(SEND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while writing a dead-letter record", e);
            } catch (ExecutionException | TimeoutException e) {
                throw new IllegalStateException("the dead-letter record could not be written", e);
            }
        };
    }

    @Override
    public DeserializationHandlerResponse handle(
            ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
        String code = exception instanceof AvroDecodingException decoding
                ? decoding.reason().name()
                : exception.getClass().getSimpleName();
        var headers = new RecordHeaders(record.headers().toArray());
        DeadLetterHeaders.write(
                headers,
                DeadLetterHeaders.STAGE_DESERIALIZATION,
                code,
                String.valueOf(exception.getMessage()),
                record.topic(),
                record.partition(),
                record.offset());
        // A record without a timestamp (-1) gets the producer's time: a ProducerRecord refuses a negative one.
        Long timestamp = record.timestamp() >= 0 ? record.timestamp() : null;
        var deadLetter = new ProducerRecord<>(topic, null, timestamp, record.key(), record.value(), headers);
        try {
            sink.send(deadLetter);
        } catch (RuntimeException e) {
            // Continuing would commit past a record that is nowhere: the task stops instead, and reads the record
            // again from its last commit when it is restarted.
            LOG.errorf(
                    e,
                    "%s-%d@%d could not be decoded nor written to %s: stopping, to read it again on restart",
                    record.topic(),
                    record.partition(),
                    record.offset(),
                    topic);
            return DeserializationHandlerResponse.FAIL;
        }
        TopologyMetrics.deadLettered(DeadLetterHeaders.STAGE_DESERIALIZATION, code);
        LOG.debugf(
                "dead-lettered %s-%d@%d: %s",
                record.topic(), record.partition(), record.offset(), exception.getMessage());
        return DeserializationHandlerResponse.CONTINUE;
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
