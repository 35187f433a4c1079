package dev.rollguard.ingest.topology;

import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.event.UploadEvent;
import java.time.Duration;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * Forwards an event only the first time its id is seen within the dedup horizon (event time, either side). The ids
 * live in a window store whose retention is the horizon, so old ids expire segment by segment without a scan; the
 * store is changelogged, and under exactly-once its updates commit with the input offsets, so a restart neither
 * forgets an id nor remembers one whose event was not counted. Telemetry is keyed by client id, so a client's
 * retries reach the same partition and the same store.
 */
final class DedupProcessor implements FixedKeyProcessor<String, SpecificRecord, SpecificRecord> {

    static final String STORE = "dedup-store";

    private final long horizonMs;
    private FixedKeyProcessorContext<String, SpecificRecord> context;
    private WindowStore<String, Long> seen;

    DedupProcessor(Duration horizon) {
        this.horizonMs = horizon.toMillis();
    }

    @Override
    public void init(FixedKeyProcessorContext<String, SpecificRecord> context) {
        this.context = context;
        this.seen = context.getStateStore(STORE);
    }

    @Override
    public void process(FixedKeyRecord<String, SpecificRecord> record) {
        SpecificRecord event = record.value();
        String id;
        String kind;
        if (event instanceof SyncEvent s) {
            id = "s:" + s.getEventId();
            kind = "sync";
        } else {
            id = "u:" + ((UploadEvent) event).getEventId();
            kind = "upload";
        }
        long time = record.timestamp();
        try (WindowStoreIterator<Long> earlier = seen.fetch(id, time - horizonMs, time + horizonMs)) {
            if (earlier.hasNext()) {
                TopologyMetrics.event(kind, "duplicate");
                return;
            }
        }
        seen.put(id, time, time);
        TopologyMetrics.event(kind, "accepted");
        context.forward(record);
    }
}
