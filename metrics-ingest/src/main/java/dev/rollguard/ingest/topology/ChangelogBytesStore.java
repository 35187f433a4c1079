package dev.rollguard.ingest.topology;

import java.util.function.BiConsumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.processor.internals.ChangelogRecordDeserializationHelper;
import org.apache.kafka.streams.processor.internals.RecordBatchingStateRestoreCallback;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.query.Query;
import org.apache.kafka.streams.query.QueryConfig;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * A bytes store under Kafka Streams' changelogging layer whose values the store above it keeps in a form of its own
 * ({@link RestoreOnlyStore} under a {@link LiveStore}, {@link DedupIds} under a {@link DedupStore}): it takes the
 * changelog's records on restore ({@link #registerRestore}) and answers no queries.
 */
abstract class ChangelogBytesStore implements KeyValueStore<Bytes, byte[]> {

    private final String name;
    private final Position position = Position.emptyPosition();

    private volatile boolean open;

    ChangelogBytesStore(String name) {
        this.name = name;
    }

    /**
     * Registers the store for restores, each changelog record going to {@code restore} (key and value, a null value for
     * a tombstone), and marks it open.
     */
    protected final void registerRestore(
            StateStoreContext context, StateStore root, BiConsumer<byte[], byte[]> restore) {
        boolean consistency = StreamsConfig.InternalConfig.getBoolean(
                context.appConfigs(), StreamsConfig.InternalConfig.IQ_CONSISTENCY_OFFSET_VECTOR_ENABLED, false);
        if (root != null) {
            context.register(root, (RecordBatchingStateRestoreCallback) records -> {
                for (ConsumerRecord<byte[], byte[]> record : records) {
                    restore.accept(record.key(), record.value());
                    ChangelogRecordDeserializationHelper.applyChecksAndUpdatePosition(record, consistency, position);
                }
            });
        }
        open = true;
    }

    /** Marks the store closed. */
    protected final void closed() {
        open = false;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public KeyValueIterator<Bytes, byte[]> range(Bytes from, Bytes to) {
        throw new UnsupportedOperationException("range queries are not supported by " + name);
    }

    @Override
    public <PS extends Serializer<P>, P> KeyValueIterator<Bytes, byte[]> prefixScan(P prefix, PS serializer) {
        throw new UnsupportedOperationException("prefix scans are not supported by " + name);
    }

    @Override
    public <R> QueryResult<R> query(Query<R> query, PositionBound bound, QueryConfig config) {
        return QueryResult.forUnknownQueryType(query, this);
    }

    @Override
    public Position getPosition() {
        return position;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    /** The supplier of one such store, built already, for {@link org.apache.kafka.streams.state.Stores}. */
    record Supplier(ChangelogBytesStore store, String metricsScope) implements KeyValueBytesStoreSupplier {

        @Override
        public String name() {
            return store.name();
        }

        @Override
        public KeyValueStore<Bytes, byte[]> get() {
            return store;
        }
    }
}
