package dev.rollguard.ingest.topology;

import dev.rollguard.ingest.domain.AggregateLimits;
import dev.rollguard.ingest.domain.WindowAggregate;
import dev.rollguard.ingest.mapping.WindowAggregateCodec;
import java.nio.ByteBuffer;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;

/**
 * The partial windows of one input task (keys {@code <window start>|<scope>}), kept live ({@link LiveStore}): an
 * event updates them in place, without the (de)serialization of a several-kilobyte aggregate.
 *
 * <p>Beside the partials it keeps the task's progress: the stream time of each of its input topics and the watermark
 * it last announced, committed with the partials, so that a restarted task judges lateness exactly where it left off.
 */
final class PartialWindowStore extends LiveStore<WindowAggregate> {

    private static final String PROGRESS_KEY = "~progress";

    private final AggregateLimits limits;
    /** Stream time per input topic of the task (index {@link TelemetryProcessor#SYNC} or {@code UPLOAD}). */
    private final long[] streamTimes = {Long.MIN_VALUE, Long.MIN_VALUE};

    private long watermark = Long.MIN_VALUE;
    private boolean progressDirty;

    PartialWindowStore(KeyValueStore<String, byte[]> changelogged, AggregateLimits limits) {
        super(changelogged);
        this.limits = limits;
    }

    /** A builder of the store, changelogged under {@code <application.id>-<name>-changelog}. */
    static StoreBuilder<PartialWindowStore> builder(String name, AggregateLimits limits) {
        return LiveStore.builder(name, inner -> new PartialWindowStore(inner, limits));
    }

    /** The partial of a key, created empty when absent; the caller updates it in place and calls {@link #touch}. */
    WindowAggregate partial(String key) {
        WindowAggregate partial = get(key);
        if (partial == null) {
            partial = new WindowAggregate(limits);
            put(key, partial);
        }
        return partial;
    }

    /** The latest event time counted from one input topic (capped as {@link EventTimeExtractor} says). */
    long streamTime(int topic) {
        load();
        return streamTimes[topic];
    }

    /** The end of the latest window the task announced as closed on its side. */
    long watermark() {
        load();
        return watermark;
    }

    /** Records an input topic's stream time, written with the next commit. */
    void streamTime(int topic, long streamTime) {
        load();
        streamTimes[topic] = streamTime;
        progressDirty = true;
    }

    /** Records the watermark the task announced, written with the next commit. */
    void watermark(long watermark) {
        load();
        this.watermark = watermark;
        progressDirty = true;
    }

    @Override
    protected byte[] encode(WindowAggregate value) {
        return WindowAggregateCodec.encode(value);
    }

    @Override
    protected WindowAggregate decode(byte[] data) {
        return WindowAggregateCodec.decode(data);
    }

    @Override
    protected void readOwn(String key, byte[] value) {
        if (PROGRESS_KEY.equals(key)) {
            ByteBuffer progress = ByteBuffer.wrap(value);
            watermark = progress.getLong();
            streamTimes[0] = progress.getLong();
            streamTimes[1] = progress.getLong();
        }
    }

    @Override
    protected void writeOwn(OwnKeys changelog) {
        if (progressDirty) {
            changelog.put(
                    PROGRESS_KEY,
                    ByteBuffer.allocate(24)
                            .putLong(watermark)
                            .putLong(streamTimes[0])
                            .putLong(streamTimes[1])
                            .array());
            progressDirty = false;
        }
    }

    @Override
    protected void resetOwn() {
        streamTimes[0] = Long.MIN_VALUE;
        streamTimes[1] = Long.MIN_VALUE;
        watermark = Long.MIN_VALUE;
        progressDirty = false;
    }
}
