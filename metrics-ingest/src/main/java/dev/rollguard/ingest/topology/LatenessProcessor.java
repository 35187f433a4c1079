package dev.rollguard.ingest.topology;

import dev.rollguard.ingest.domain.Violation;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.event.UploadEvent;
import java.time.Instant;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;

/**
 * Finds the events that arrive after their window closed on this input task: the window's end is at or before the
 * watermark the task last announced ({@link PreAggregateProcessor}). Such an event is late everywhere (the merge may
 * already have emitted the window), so it is not counted in a window; it goes to the dead-letter topic with the code
 * {@code LATE} and is counted in {@code rollguard.ingest.late.events}, never dropped without a trace.
 */
final class LatenessProcessor implements FixedKeyProcessor<String, SpecificRecord, Checked> {

    private final WindowClock clock;
    private FixedKeyProcessorContext<String, Checked> context;
    private PartialWindowStore partials;

    LatenessProcessor(WindowClock clock) {
        this.clock = clock;
    }

    @Override
    public void init(FixedKeyProcessorContext<String, Checked> context) {
        this.context = context;
        this.partials = context.getStateStore(PreAggregateProcessor.STORE);
    }

    @Override
    public void process(FixedKeyRecord<String, SpecificRecord> record) {
        SpecificRecord event = record.value();
        long eventTime = eventTime(event);
        long windowEnd = clock.windowStart(eventTime) + clock.sizeMs();
        long watermark = partials.watermark();
        if (windowEnd > watermark) {
            context.forward(record.withValue(new Checked(event, null)));
            return;
        }
        String kind = event instanceof SyncEvent ? "sync" : "upload";
        TopologyMetrics.lateEvent(kind);
        TopologyMetrics.deadLettered(DeadLetterHeaders.STAGE_LATENESS, Violation.LATE);
        Violation violation = new Violation(
                Violation.LATE,
                "event time " + Instant.ofEpochMilli(eventTime) + " is in the window ending "
                        + Instant.ofEpochMilli(windowEnd) + ", closed when this partition's watermark reached "
                        + Instant.ofEpochMilli(watermark) + " (grace " + clock.graceMs() + " ms)");
        var metadata = context.recordMetadata().orElse(null);
        DeadLetterHeaders.write(
                record.headers(),
                DeadLetterHeaders.STAGE_LATENESS,
                violation.code(),
                violation.message(),
                metadata == null ? null : metadata.topic(),
                metadata == null ? -1 : metadata.partition(),
                metadata == null ? -1 : metadata.offset());
        context.forward(record.withValue(new Checked(event, violation)));
    }

    private static long eventTime(SpecificRecord event) {
        Instant time = event instanceof SyncEvent s ? s.getEventTime() : ((UploadEvent) event).getEventTime();
        return time.toEpochMilli();
    }
}
