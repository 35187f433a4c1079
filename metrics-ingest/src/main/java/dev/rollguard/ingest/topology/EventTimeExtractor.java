package dev.rollguard.ingest.topology;

import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.event.UploadEvent;
import java.time.Duration;
import java.time.Instant;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;

/**
 * Windows are in event time: the time the client says the sync or upload finished. An event time further ahead of
 * the record's own timestamp than the allowed clock skew is not trusted (the validator dead-letters the event anyway),
 * because a single such record would move stream time forward and close every open window early.
 */
public final class EventTimeExtractor implements TimestampExtractor {

    private final long maxSkewMs;

    public EventTimeExtractor(Duration maxSkew) {
        this.maxSkewMs = maxSkew.toMillis();
    }

    @Override
    public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
        long recordTime = record.timestamp() >= 0 ? record.timestamp() : partitionTime;
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
        return recordTime >= 0 && t > recordTime + maxSkewMs ? recordTime : t;
    }
}
