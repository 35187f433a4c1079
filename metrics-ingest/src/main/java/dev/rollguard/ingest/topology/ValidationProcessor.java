package dev.rollguard.ingest.topology;

import dev.rollguard.ingest.domain.Violation;
import dev.rollguard.ingest.service.TelemetryValidator;
import dev.rollguard.schemas.event.SyncEvent;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;

/**
 * Validates each decoded event against the wall clock; an invalid one gets the dead-letter headers (reason, source
 * topic, partition, offset) here, where the record's metadata is still known.
 */
final class ValidationProcessor implements FixedKeyProcessor<String, SpecificRecord, Checked> {

    private final TelemetryValidator validator;
    private FixedKeyProcessorContext<String, Checked> context;

    ValidationProcessor(TelemetryValidator validator) {
        this.validator = validator;
    }

    @Override
    public void init(FixedKeyProcessorContext<String, Checked> context) {
        this.context = context;
    }

    @Override
    public void process(FixedKeyRecord<String, SpecificRecord> record) {
        SpecificRecord event = record.value();
        if (event == null) {
            // A tombstone on a telemetry topic carries nothing to count; it is not an error either.
            return;
        }
        Violation violation = validator.validate(event, context.currentSystemTimeMs());
        String kind = event instanceof SyncEvent ? "sync" : "upload";
        if (violation == null) {
            context.forward(record.withValue(new Checked(event, null)));
            return;
        }
        TopologyMetrics.event(kind, "invalid");
        TopologyMetrics.deadLettered(DeadLetterHeaders.STAGE_VALIDATION, violation.code());
        var metadata = context.recordMetadata().orElse(null);
        DeadLetterHeaders.write(
                record.headers(),
                DeadLetterHeaders.STAGE_VALIDATION,
                violation.code(),
                violation.message(),
                metadata == null ? null : metadata.topic(),
                metadata == null ? -1 : metadata.partition(),
                metadata == null ? -1 : metadata.offset());
        context.forward(record.withValue(new Checked(event, violation)));
    }
}
