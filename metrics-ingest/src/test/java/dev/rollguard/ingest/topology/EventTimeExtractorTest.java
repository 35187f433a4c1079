package dev.rollguard.ingest.topology;

import static dev.rollguard.ingest.TelemetryFixtures.sync;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.schemas.event.SyncEvent;
import java.time.Duration;
import java.time.Instant;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

/** Which time an event moves stream time by: its own, unless it runs ahead of the record's time or the instance's. */
class EventTimeExtractorTest {

    static final Instant NOW = Instant.parse("2026-03-02T10:00:00Z");
    static final EventTimeExtractor EXTRACTOR = new EventTimeExtractor(Duration.ofSeconds(5), NOW::toEpochMilli);

    private static long extract(Instant eventTime, Instant recordTime) {
        SyncEvent event = sync("c1", eventTime, true, 100).build();
        ConsumerRecord<Object, Object> record = new ConsumerRecord<>(
                "telemetry.sync",
                0,
                0L,
                recordTime.toEpochMilli(),
                TimestampType.CREATE_TIME,
                0,
                0,
                (Object) "c1",
                (Object) event,
                new RecordHeaders(),
                java.util.Optional.empty());
        return EXTRACTOR.extract(record, -1);
    }

    @Test
    void anEventOnTimeOrBehindMovesStreamTimeByItsOwnTime() {
        assertThat(extract(NOW.minusSeconds(1), NOW))
                .isEqualTo(NOW.minusSeconds(1).toEpochMilli());
        assertThat(extract(NOW.plusSeconds(4), NOW))
                .isEqualTo(NOW.plusSeconds(4).toEpochMilli());
        // A backlog: read an hour later, its own times still count.
        assertThat(extract(NOW.minusSeconds(3600), NOW.minusSeconds(3599)))
                .isEqualTo(NOW.minusSeconds(3600).toEpochMilli());
    }

    @Test
    void anEventAheadOfItsRecordMovesStreamTimeOnlyToTheRecordsTime() {
        assertThat(extract(NOW.plusSeconds(240), NOW.minusSeconds(10)))
                .isEqualTo(NOW.minusSeconds(10).toEpochMilli());
    }

    @Test
    void aClientProducingWithItsOwnFastClockMovesStreamTimeOnlyToTheInstancesTime() {
        // Produced by the client itself: the record's timestamp is the same fast clock as the event's.
        assertThat(extract(NOW.plusSeconds(240), NOW.plusSeconds(240))).isEqualTo(NOW.toEpochMilli());
    }
}
