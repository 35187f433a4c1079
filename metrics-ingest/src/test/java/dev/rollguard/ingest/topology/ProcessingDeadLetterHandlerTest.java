package dev.rollguard.ingest.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.errors.ProcessorStateException;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A record a processor throws on is skipped, not the end of the task: a telemetry event is dead-lettered as it was
 * read, a record of the service's own topics is only logged and counted; a fault of the store, or a dead letter that
 * cannot be written, stops the task.
 */
class ProcessingDeadLetterHandlerTest {

    @TempDir
    Path scratch;

    private final List<ProducerRecord<byte[], byte[]>> deadLetters = new CopyOnWriteArrayList<>();

    /** Forwards each value, and throws on "boom". */
    static final class Touchy implements Processor<String, byte[], String, byte[]> {
        private ProcessorContext<String, byte[]> context;

        @Override
        public void init(ProcessorContext<String, byte[]> context) {
            this.context = context;
        }

        @Override
        public void process(Record<String, byte[]> record) {
            String value = new String(record.value(), StandardCharsets.UTF_8);
            if ("boom".equals(value)) {
                throw new IllegalStateException("no enum constant B");
            }
            if ("disk".equals(value)) {
                throw new ProcessorStateException("the store could not be written");
            }
            context.forward(record);
        }
    }

    private TopologyTestDriver driver(String source, DeadLetterSink sink) {
        return driver(source, sink, Map.of());
    }

    private TopologyTestDriver driver(String source, DeadLetterSink sink, Map<String, Object> config) {
        Topology topology = new Topology();
        topology.addSource("in", new StringDeserializer(), new ByteArrayDeserializer(), source);
        topology.addProcessor("touchy", Touchy::new, "in");
        topology.addSink("out", "out", new StringSerializer(), new ByteArraySerializer(), "touchy");
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "processing-dead-letters");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.STATE_DIR_CONFIG, scratch.toString());
        props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, ProcessingDeadLetterHandler.class.getName());
        props.put(DeadLetterHandler.SINK_CONFIG, sink);
        props.putAll(config);
        return new TopologyTestDriver(topology, props);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static List<String> piped(TopologyTestDriver driver, String source, String... values) {
        var in = driver.createInputTopic(source, new StringSerializer(), new ByteArraySerializer());
        for (String value : values) {
            in.pipeInput("c1", bytes(value));
        }
        return driver
                .createOutputTopic("out", new StringDeserializer(), new ByteArrayDeserializer())
                .readValuesToList()
                .stream()
                .map(v -> new String(v, StandardCharsets.UTF_8))
                .toList();
    }

    @Test
    void aTelemetryEventAProcessorThrowsOnIsDeadLetteredAsItWasReadAndTheNextOnesGoOn() {
        try (TopologyTestDriver driver = driver("telemetry.sync", deadLetters::add)) {
            assertThat(piped(driver, "telemetry.sync", "a", "boom", "b")).containsExactly("a", "b");
        }

        assertThat(deadLetters).singleElement().satisfies(r -> {
            assertThat(r.topic()).isEqualTo("telemetry.dlq");
            assertThat(r.key()).isEqualTo(bytes("c1"));
            assertThat(r.value()).isEqualTo(bytes("boom"));
            assertThat(DeadLetterHeaders.read(r.headers(), DeadLetterHeaders.STAGE))
                    .isEqualTo(DeadLetterHeaders.STAGE_PROCESSING);
            assertThat(DeadLetterHeaders.read(r.headers(), DeadLetterHeaders.CODE))
                    .isEqualTo("IllegalStateException");
            assertThat(DeadLetterHeaders.read(r.headers(), DeadLetterHeaders.REASON))
                    .isEqualTo("no enum constant B");
            assertThat(DeadLetterHeaders.read(r.headers(), DeadLetterHeaders.SOURCE_OFFSET))
                    .isEqualTo("1");
        });
    }

    @Test
    void aRecordOfTheServicesOwnTopicsIsSkippedWithoutADeadLetter() {
        // Where the ':' of an exposure's flag key threw: on the window partials it made, at their publication.
        String internal = "metrics-ingest-scope-partials-repartition";
        try (TopologyTestDriver driver = driver(internal, deadLetters::add)) {
            assertThat(piped(driver, internal, "a", "boom", "b")).containsExactly("a", "b");
        }

        assertThat(deadLetters).isEmpty();
    }

    @Test
    void aTopicWhoseNameOnlyEndsLikeATelemetryTopicIsNotTakenForOne() {
        // Another application's topic that the service might read one day, or a prefixed internal one: its records
        // are not clients' events, and writing them to the telemetry dead letters would mislead whoever reads those.
        String lookalike = "audit.telemetry.sync";
        try (TopologyTestDriver driver = driver(lookalike, deadLetters::add)) {
            assertThat(piped(driver, lookalike, "a", "boom", "b")).containsExactly("a", "b");
        }

        assertThat(deadLetters).isEmpty();
    }

    @Test
    void aTelemetryTopicUnderAConfiguredNameIsDeadLetteredToItsDeadLetterTopic() {
        TopicNames renamed =
                new TopicNames("eu.client-syncs", "eu.client-uploads", "eu.flags", "eu.client-dlq", "eu.windows");
        try (TopologyTestDriver driver = driver("eu.client-uploads", deadLetters::add, renamed.deadLetterConfig())) {
            assertThat(piped(driver, "eu.client-uploads", "a", "boom", "b")).containsExactly("a", "b");
        }
        // The default names are the service's own topics under this configuration.
        try (TopologyTestDriver driver = driver("telemetry.sync", deadLetters::add, renamed.deadLetterConfig())) {
            assertThat(piped(driver, "telemetry.sync", "boom")).isEmpty();
        }

        assertThat(deadLetters).singleElement().satisfies(r -> {
            assertThat(r.topic()).isEqualTo("eu.client-dlq");
            assertThat(r.value()).isEqualTo(bytes("boom"));
            assertThat(DeadLetterHeaders.read(r.headers(), DeadLetterHeaders.SOURCE_TOPIC))
                    .isEqualTo("eu.client-uploads");
        });
    }

    @Test
    void aConfigurationNamingNoTelemetryTopicIsRefused() {
        assertThatThrownBy(() -> ProcessingDeadLetterHandler.telemetryTopics(" , "))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(ProcessingDeadLetterHandler.TELEMETRY_TOPICS_CONFIG);
        assertThat(ProcessingDeadLetterHandler.telemetryTopics(null))
                .containsExactlyInAnyOrder("telemetry.sync", "telemetry.upload");
    }

    @Test
    void aFaultOfTheStoreFailsTheTaskEvenOnATelemetryEvent() {
        try (TopologyTestDriver driver = driver("telemetry.sync", deadLetters::add)) {
            assertThatThrownBy(() -> piped(driver, "telemetry.sync", "a", "disk"))
                    .hasRootCauseMessage("the store could not be written");
        }

        assertThat(deadLetters).isEmpty();
    }

    @Test
    void aDeadLetterThatCannotBeWrittenStopsTheTask() {
        DeadLetterSink unavailable = record -> {
            throw new IllegalStateException("the dead-letter record could not be written");
        };
        try (TopologyTestDriver driver = driver("telemetry.upload", unavailable)) {
            assertThatThrownBy(() -> piped(driver, "telemetry.upload", "a", "boom"))
                    .hasRootCauseMessage("no enum constant B");
        }
    }
}
