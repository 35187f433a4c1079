package dev.rollguard.alert.listener;

import dev.rollguard.alert.service.RuleEvaluationService;
import dev.rollguard.alert.service.RuleEvaluationService.WindowRecord;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import dev.rollguard.schemas.serde.Decoded;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
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
 * Consumes {@code metrics.windows} in batches. Each window arrives with the bytes it was decoded from ({@link
 * Decoded}), so whatever the evaluator dead-letters is the original record. A record that cannot be decoded arrives
 * with a null payload and the failure and bytes in headers ({@code fail-on-deserialization-failure=false}). The batch
 * is acknowledged only after its evaluation is stored; the evaluator itself refuses the windows it cannot evaluate or
 * store, so a batch is nacked (to the channel's dead-letter topic, original bytes) only when the evaluator fails.
 */
@ApplicationScoped
public class WindowListener {

    public static final String CHANNEL = "windows";

    private final RuleEvaluationService evaluation;
    private final Counter deadLettered;

    public WindowListener(RuleEvaluationService evaluation, MeterRegistry meters) {
        this.evaluation = evaluation;
        this.deadLettered = Counter.builder("rollguard.alert.windows")
                .tag("outcome", "dead-lettered")
                .register(meters);
    }

    @Incoming(CHANNEL)
    public Uni<Void> consume(KafkaRecordBatch<String, Decoded<WindowMetricsEvent>> batch) {
        List<WindowRecord> records = new ArrayList<>(batch.getRecords().size());
        for (KafkaRecord<String, Decoded<WindowMetricsEvent>> record : batch.getRecords()) {
            records.add(toWindowRecord(record));
        }
        return evaluation
                .process(records)
                .chain(outcome -> Uni.createFrom().completionStage(batch.ack()))
                .onFailure()
                .recoverWithUni(failure -> {
                    Log.errorf(failure, "a batch of %d windows cannot be evaluated; dead-lettering it", records.size());
                    deadLettered.increment(records.size());
                    return Uni.createFrom().completionStage(batch.nack(failure));
                });
    }

    private static WindowRecord toWindowRecord(KafkaRecord<String, Decoded<WindowMetricsEvent>> record) {
        Decoded<WindowMetricsEvent> decoded = record.getPayload();
        WindowMetricsEvent window = decoded == null ? null : decoded.event();
        String failure = null;
        byte[] raw = decoded == null ? null : decoded.bytes();
        if (decoded == null) {
            String reason = header(record, DeserializationFailureHandler.DESERIALIZATION_FAILURE_REASON);
            failure = reason != null
                    ? "cannot decode a WindowMetricsEvent: " + reason
                    : "empty record (tombstone) where a WindowMetricsEvent was expected";
            Header data = record.getHeaders().lastHeader(DeserializationFailureHandler.DESERIALIZATION_FAILURE_DATA);
            raw = data == null ? null : data.value();
        }
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
