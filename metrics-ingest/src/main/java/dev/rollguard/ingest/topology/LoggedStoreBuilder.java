package dev.rollguard.ingest.topology;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.state.StoreBuilder;

/**
 * The builder of a store that must be changelogged (exactly-once depends on it) and caches nothing in Kafka Streams'
 * record cache ({@link LiveStore}, {@link DedupStore}): {@code factory} makes the store from the changelog topic's
 * settings, whose defaults the store gives and {@link #withLoggingEnabled} adds to.
 */
record LoggedStoreBuilder<S extends StateStore>(
        String name, Map<String, String> logConfig, Function<Map<String, String>, S> factory)
        implements StoreBuilder<S> {

    @Override
    public StoreBuilder<S> withCachingEnabled() {
        return this;
    }

    @Override
    public StoreBuilder<S> withCachingDisabled() {
        return this;
    }

    @Override
    public StoreBuilder<S> withLoggingEnabled(Map<String, String> config) {
        Map<String, String> merged = new HashMap<>(logConfig);
        merged.putAll(config);
        return new LoggedStoreBuilder<>(name, Map.copyOf(merged), factory);
    }

    @Override
    public StoreBuilder<S> withLoggingDisabled() {
        throw new UnsupportedOperationException("the store " + name + " must be changelogged for exactly-once");
    }

    @Override
    public S build() {
        return factory.apply(logConfig);
    }

    @Override
    public boolean loggingEnabled() {
        return true;
    }
}
