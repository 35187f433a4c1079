package dev.rollguard.ingest.topology;

import java.util.Arrays;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.jboss.logging.Logger;

/**
 * Kafka Streams' processing-exception handler of metrics-ingest: when a processor throws on a record, the record is
 * skipped instead of the task failing. Kafka Streams' own default fails the task, which then fails again on the same
 * record after every restart: one event whose input no check foresaw stopped every window, alert and automatic kill
 * of the installation (an exposure's flag key with a {@code :} did, on the window partials it made).
 *
 * <p>A client's telemetry event (read from one of the telemetry topics the topology reads, by exact name: the Streams
 * property {@value #TELEMETRY_TOPICS_CONFIG}, comma-separated, by default {@link TopicNames#DEFAULT}'s; {@link
 * TopicNames#deadLetterConfig} gives it and the dead-letter topic for other names) is written to the dead-letter topic
 * as it was read, key and bytes, stage {@code PROCESSING}, code the exception's class and reason its message, through
 * {@link DeadLetters} (awaited; a write that fails stops the task, which reads the record again on restart). The
 * service's own records (a window partial between its tasks, a flag change) and punctuations are skipped without a dead
 * letter. A fault of the store or the broker ({@link KafkaException}, e.g. a RocksDB write) is not the record's: it
 * fails the task, as by default, which reads the record again on restart. Every failure is logged with its exception
 * and counted ({@code rollguard.ingest.processing.errors}, by processor node), so an alert names the defect. What the
 * processor changed before it threw stays (a window may then count part of the record).
 */
public class ProcessingDeadLetterHandler implements ProcessingExceptionHandler {

    // Not io.quarkus.logging.Log: this runs outside Quarkus too (architecture-tests' StreamThreadLoggingTest).
    private static final Logger LOG = Logger.getLogger(ProcessingDeadLetterHandler.class);

    /** Streams property: the topics whose records are clients' telemetry events, comma-separated. */
    public static final String TELEMETRY_TOPICS_CONFIG = "rollguard.telemetry.topics";

    private DeadLetters deadLetters;
    private Set<String> telemetryTopics;

    @Override
    public void configure(Map<String, ?> configs) {
        deadLetters = DeadLetters.configured(configs);
        telemetryTopics = telemetryTopics(configs.get(TELEMETRY_TOPICS_CONFIG));
    }

    /** The configured telemetry topics, exact names; {@link TopicNames#DEFAULT}'s when none are configured. */
    static Set<String> telemetryTopics(Object configured) {
        if (configured == null) {
            return Set.copyOf(TopicNames.DEFAULT.telemetry());
        }
        var names = (configured instanceof Collection<?> list
                        ? list.stream().map(String::valueOf)
                        : Arrays.stream(configured.toString().split(",")))
                .map(String::trim)
                .filter(name -> !name.isEmpty())
                .collect(Collectors.toUnmodifiableSet());
        if (names.isEmpty()) {
            throw new ConfigException(TELEMETRY_TOPICS_CONFIG, configured, "names no topic");
        }
        return names;
    }

    @Override
    public ProcessingHandlerResponse handle(ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
        String node = context.processorNodeId();
        TopologyMetrics.processingError(node);
        String source = context.topic();
        if (exception instanceof KafkaException) {
            // The store or the broker, not the record: the task fails and reads it again on restart, as by default.
            LOG.errorf(
                    exception,
                    "processor %s of task %s failed on %s-%d@%d: stopping, to read it again on restart",
                    node,
                    context.taskId(),
                    source,
                    context.partition(),
                    context.offset());
            return ProcessingHandlerResponse.FAIL;
        }
        if (context.sourceRawValue() == null || source == null || !telemetryTopics.contains(source)) {
            // The service's own record (a window partial, a flag change) or a punctuation: failing would fail again on
            // it after every restart, and leave every flag unguarded; it is skipped, logged and counted.
            LOG.errorf(
                    exception,
                    "processor %s of task %s failed on a record of %s-%d@%d: skipped",
                    node,
                    context.taskId(),
                    source,
                    context.partition(),
                    context.offset());
            return ProcessingHandlerResponse.CONTINUE;
        }
        if (!deadLetters.write(
                DeadLetters.Source.of(context),
                DeadLetterHeaders.STAGE_PROCESSING,
                exception.getClass().getSimpleName(),
                String.valueOf(exception.getMessage()))) {
            LOG.errorf(
                    exception, "processor %s failed on %s-%d@%d", node, source, context.partition(), context.offset());
            return ProcessingHandlerResponse.FAIL;
        }
        LOG.errorf(
                exception,
                "processor %s failed on %s-%d@%d: dead-lettered to %s and skipped",
                node,
                source,
                context.partition(),
                context.offset(),
                deadLetters.topic());
        return ProcessingHandlerResponse.CONTINUE;
    }
}
