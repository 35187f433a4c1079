package dev.rollguard.ingest.topology;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * The store under a live store in its unit tests: an in-memory key-value store, initialised and without logging, which
 * outlives the live stores built over it, so a second one reads back what the first wrote (as after a restart).
 */
final class InMemoryChangelog {

    private InMemoryChangelog() {}

    static KeyValueStore<String, byte[]> open(String name) {
        KeyValueStore<String, byte[]> store = Stores.keyValueStoreBuilder(
                        Stores.inMemoryKeyValueStore(name), Serdes.String(), Serdes.ByteArray())
                .withLoggingDisabled()
                .build();
        store.init(new MockProcessorContext<>().getStateStoreContext(), store);
        return store;
    }
}
