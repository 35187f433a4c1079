package dev.rollguard.ingest.topology;

import dev.rollguard.schemas.serde.AvroCodec;
import java.nio.charset.StandardCharsets;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * The dead letter of an invalid or late event: the event re-encoded with the current schema, under its key and with
 * the dead-letter headers set where it was refused, leaving out what would take it past {@link
 * DeadLetterHeaders#MAX_BYTES} ({@link DeadLetterHeaders#fit}), which the task's producer would refuse, failing the task
 * on this record after every restart.
 */
final class DeadLetterEncoder implements Processor<String, Refused, String, byte[]> {

    private ProcessorContext<String, byte[]> context;

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        this.context = context;
    }

    @Override
    public void process(Record<String, Refused> record) {
        byte[] value = encode(record.value().event());
        String key = record.key();
        DeadLetterHeaders.Fit fit = DeadLetterHeaders.fit(
                key == null ? -1 : key.getBytes(StandardCharsets.UTF_8).length, value.length, record.headers());
        context.forward(record.withKey(fit.keyOmitted() ? null : key)
                .withValue(fit.valueOmitted() ? new byte[0] : value)
                .withHeaders(fit.headers()));
    }

    @SuppressWarnings("unchecked")
    private static byte[] encode(SpecificRecord event) {
        return AvroCodec.of((Class<SpecificRecord>) event.getClass()).encode(event);
    }
}
