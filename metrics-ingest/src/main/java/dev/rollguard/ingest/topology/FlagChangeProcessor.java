package dev.rollguard.ingest.topology;

import dev.rollguard.ingest.service.FlagDirectory;
import dev.rollguard.schemas.event.FlagChangedEvent;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Keeps the global flags store (latest state per flag, queryable) and the {@link FlagDirectory} (recent versions)
 * up to date from flags.changes. Kafka Streams replays the topic through this processor when it restores the
 * global store, so the directory is complete before any telemetry is processed.
 */
final class FlagChangeProcessor implements Processor<String, FlagChangedEvent, Void, Void> {

    static final String STORE = "flags-store";

    private final FlagDirectory directory;
    private KeyValueStore<String, FlagChangedEvent> store;

    FlagChangeProcessor(FlagDirectory directory) {
        this.directory = directory;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        this.store = context.getStateStore(STORE);
    }

    @Override
    public void process(Record<String, FlagChangedEvent> record) {
        FlagChangedEvent change = record.value();
        if (change == null || record.key() == null) {
            return;
        }
        FlagChangedEvent known = store.get(record.key());
        if (known == null || known.getVersion() <= change.getVersion()) {
            store.put(record.key(), change);
        }
        directory.apply(change);
    }
}
