package dev.rollguard.ingest.topology;

import dev.rollguard.schemas.serde.AvroDecodingException;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.jboss.logging.Logger;

/**
 * Kafka Streams' deserialization-exception handler of metrics-ingest: a record that cannot be decoded is written to
 * the dead-letter topic, with its original key and bytes and the reason and source in headers, and processing
 * continues; when that write fails, the task stops instead and reads the record again on restart ({@link
 * DeadLetters}: at least once, awaited).
 *
 * <p>Configuration (Streams properties): {@value #TOPIC_CONFIG} (default telemetry.dlq); {@value #SINK_CONFIG} may
 * hold a {@link DeadLetterSink} instance instead of the producer (the TopologyTestDriver tests use it).
 */
public class DeadLetterHandler implements DeserializationExceptionHandler {

    // Not io.quarkus.logging.Log: this runs outside Quarkus too (architecture-tests' StreamThreadLoggingTest).
    private static final Logger LOG = Logger.getLogger(DeadLetterHandler.class);

    public static final String TOPIC_CONFIG = "rollguard.dlq.topic";
    public static final String SINK_CONFIG = "rollguard.dlq.sink";

    private DeadLetters deadLetters;

    @Override
    public void configure(Map<String, ?> configs) {
        deadLetters = DeadLetters.configured(configs);
    }

    @Override
    public DeserializationHandlerResponse handle(
            ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
        String code = exception instanceof AvroDecodingException decoding
                ? decoding.reason().name()
                : exception.getClass().getSimpleName();
        if (!deadLetters.write(
                DeadLetters.Source.of(record),
                DeadLetterHeaders.STAGE_DESERIALIZATION,
                code,
                String.valueOf(exception.getMessage()))) {
            return DeserializationHandlerResponse.FAIL;
        }
        LOG.debugf(
                "dead-lettered %s-%d@%d: %s",
                record.topic(), record.partition(), record.offset(), exception.getMessage());
        return DeserializationHandlerResponse.CONTINUE;
    }
}
