package dev.rollguard.ingest.topology;

import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.event.UploadEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;

/**
 * The time by which an event moves stream time, and so the progress that closes windows: the time the client says
 * the sync or upload finished, unless it lies more than the grace period ahead of the record's own timestamp (the
 * producer's or broker's clock) or of this instance's clock, whichever is earlier. Then that earlier time stands in
 * for it: one client whose clock runs fast must not close every scope's open window early. The instance's clock
 * matters when the client produces to Kafka itself: its record's timestamp is then its own fast clock too. A backlog
 * read later is unaffected (its record timestamps are in the past). The event is still counted in the window of its
 * own event time (the validator dead-letters it beyond {@code validation.max-clock-skew}).
 */
public final class EventTimeExtractor implements TimestampExtractor {

    private final long maxAheadMs;
    private final LongSupplier wallClock;

    /** {@code maxAhead}: how far an event time may lead the record's timestamp and still move stream time. */
    public EventTimeExtractor(Duration maxAhead) {
        this(maxAhead, System::currentTimeMillis);
    }

    /** As above, with the instance's clock (epoch milliseconds) given. */
    EventTimeExtractor(Duration maxAhead, LongSupplier wallClock) {
        this.maxAheadMs = maxAhead.toMillis();
        this.wallClock = wallClock;
    }

    @Override
    public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
        long recordTime = record.timestamp() >= 0 ? record.timestamp() : partitionTime;
        if (recordTime >= 0) {
            recordTime = Math.min(recordTime, wallClock.getAsLong());
        }
        Instant eventTime = null;
        if (record.value() instanceof SyncEvent s) {
            eventTime = s.getEventTime();
        } else if (record.value() instanceof UploadEvent u) {
            eventTime = u.getEventTime();
        }
        if (eventTime == null || eventTime.toEpochMilli() < 0) {
            return Math.max(recordTime, 0);
        }
        long t = eventTime.toEpochMilli();
        return recordTime >= 0 && t > recordTime + maxAheadMs ? recordTime : t;
    }
}
