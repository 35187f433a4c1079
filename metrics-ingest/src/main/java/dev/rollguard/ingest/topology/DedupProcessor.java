package dev.rollguard.ingest.topology;

import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.event.UploadEvent;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;

/**
 * Forwards an event only the first time its id is seen within the dedup horizon (event time, either side). The ids
 * live in a {@link DedupStore}, on disk in segments that expire whole without a scan; the store is changelogged a
 * batch per commit, and under exactly-once its batches commit with the input offsets, so a restart neither forgets an
 * id nor remembers one whose event was not counted. Telemetry is keyed by client id, so a client's retries reach the
 * same partition and the same store.
 */
final class DedupProcessor implements FixedKeyProcessor<String, SpecificRecord, SpecificRecord> {

    static final String STORE = "dedup-store";

    private FixedKeyProcessorContext<String, SpecificRecord> context;
    private DedupStore seen;

    @Override
    public void init(FixedKeyProcessorContext<String, SpecificRecord> context) {
        this.context = context;
        this.seen = context.getStateStore(STORE);
    }

    @Override
    public void process(FixedKeyRecord<String, SpecificRecord> record) {
        SpecificRecord event = record.value();
        byte[] id;
        String kind;
        if (event instanceof SyncEvent s) {
            id = DedupBatch.id('s', s.getEventId());
            kind = "sync";
        } else {
            id = DedupBatch.id('u', ((UploadEvent) event).getEventId());
            kind = "upload";
        }
        if (!seen.firstSeen(id, record.timestamp())) {
            TopologyMetrics.event(kind, "duplicate");
            return;
        }
        TopologyMetrics.event(kind, "accepted");
        context.forward(record);
    }
}
