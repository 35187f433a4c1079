package dev.rollguard.alert.listener;

import dev.rollguard.alert.service.EvaluationService;
import dev.rollguard.alert.service.EvaluationService.WindowRecord;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.kafka.DeserializationFailureHandler;
import io.smallrye.reactive.messaging.kafka.KafkaRecord;
import io.smallrye.reactive.messaging.kafka.KafkaRecordBatch;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.header.Header;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * Consumes {@code metrics.windows} in batches. A record that cannot be decoded arrives with a null payload and the
 * failure in headers ({@code fail-on-deserialization-failure=false}); it is dead-lettered by the evaluator with its
 * original bytes (a decoded but invalid window is re-encoded only then). The batch is acknowledged only after its
 * evaluation is stored.
 */
@ApplicationScoped
public class WindowListener {

    public static final String CHANNEL = "windows";

    private final EvaluationService evaluation;

    public WindowListener(EvaluationService evaluation) {
        this.evaluation = evaluation;
    }

    @Incoming(CHANNEL)
    public Uni<Void> consume(KafkaRecordBatch<String, WindowMetricsEvent> batch) {
        List<WindowRecord> records = new ArrayList<>(batch.getRecords().size());
        for (KafkaRecord<String, WindowMetricsEvent> record : batch.getRecords()) {
            records.add(toWindowRecord(record));
        }
        return evaluation
                .process(records)
                .chain(outcome -> Uni.createFrom().completionStage(batch.ack()))
                .onFailure()
                .recoverWithUni(failure -> Uni.createFrom().completionStage(batch.nack(failure)));
    }

    private static WindowRecord toWindowRecord(KafkaRecord<String, WindowMetricsEvent> record) {
        WindowMetricsEvent window = record.getPayload();
        String failure = null;
        byte[] raw = null;
        if (window == null) {
            String reason = header(record, DeserializationFailureHandler.DESERIALIZATION_FAILURE_REASON);
            failure = reason != null
                    ? "cannot decode a WindowMetricsEvent: " + reason
                    : "empty record (tombstone) where a WindowMetricsEvent was expected";
            Header data = record.getHeaders().lastHeader(DeserializationFailureHandler.DESERIALIZATION_FAILURE_DATA);
            raw = data == null ? null : data.value();
        }
        // A decoded window keeps no bytes: re-encoding every one cost a third of the evaluator's CPU, and only the
        // rare invalid window needs them (the dead-letter publisher encodes it then).
        IncomingKafkaRecordMetadata<?, ?> metadata = record.getMetadata(IncomingKafkaRecordMetadata.class)
                .orElseThrow(() -> new IllegalStateException("a consumed record without Kafka metadata"));
        return new WindowRecord(
                metadata.getTopic(),
                metadata.getPartition(),
                metadata.getOffset(),
                record.getKey(),
                window,
                failure,
                raw);
    }

    private static String header(KafkaRecord<?, ?> record, String name) {
        Header header = record.getHeaders().lastHeader(name);
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
