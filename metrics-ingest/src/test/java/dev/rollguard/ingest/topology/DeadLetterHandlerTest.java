package dev.rollguard.ingest.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler.DeserializationHandlerResponse;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.junit.jupiter.api.Test;

/** An undecodable record goes on only once its dead letter is written; otherwise the task stops and reads it again. */
class DeadLetterHandlerTest {

    /** Without a timestamp (-1), as a record of an old message format has. */
    private static final ConsumerRecord<byte[], byte[]> UNDECODABLE = new ConsumerRecord<>(
            "telemetry.sync", 3, 41, "c1".getBytes(StandardCharsets.UTF_8), new byte[] {(byte) 0xff});

    private static DeadLetterHandler handler(DeadLetterSink sink) {
        DeadLetterHandler handler = new DeadLetterHandler();
        handler.configure(Map.of(DeadLetterHandler.SINK_CONFIG, sink));
        return handler;
    }

    @Test
    void aWrittenDeadLetterLetsProcessingContinue() {
        List<ProducerRecord<byte[], byte[]>> written = new ArrayList<>();

        var response = handler(written::add)
                .handle((ErrorHandlerContext) null, UNDECODABLE, new IllegalArgumentException("bad bytes"));

        assertThat(response).isEqualTo(DeserializationHandlerResponse.CONTINUE);
        assertThat(written).singleElement().satisfies(r -> {
            assertThat(r.topic()).isEqualTo("telemetry.dlq");
            assertThat(r.value()).isEqualTo(UNDECODABLE.value());
            assertThat(DeadLetterHeaders.read(r.headers(), DeadLetterHeaders.SOURCE_OFFSET))
                    .isEqualTo("41");
        });
    }

    @Test
    void aDeadLetterThatCouldNotBeWrittenStopsTheTaskInsteadOfSkippingTheRecord() {
        DeadLetterSink unavailable = record -> {
            throw new IllegalStateException("the dead-letter record could not be written");
        };

        var response = handler(unavailable)
                .handle((ErrorHandlerContext) null, UNDECODABLE, new IllegalArgumentException("bad bytes"));

        assertThat(response).isEqualTo(DeserializationHandlerResponse.FAIL);
    }
}
