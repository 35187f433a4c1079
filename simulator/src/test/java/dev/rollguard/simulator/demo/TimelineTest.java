package dev.rollguard.simulator.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.schemas.Topics;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.event.UploadEvent;
import dev.rollguard.schemas.serde.AvroCodec;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

/** How the timeline tells the events metrics-ingest dead-lettered as late, by their event time. */
class TimelineTest {

    private static final Instant SYNC_TIME = Instant.parse("2026-12-07T03:10:31.250Z");
    private static final Instant UPLOAD_TIME = Instant.parse("2026-12-07T03:10:42.900Z");

    @Test
    void aLateDeadLetterGivesTheEventTimeOfTheEventItCarries() {
        assertThat(Timeline.lateEventTime(deadLetter(
                        "LATE",
                        Topics.TELEMETRY_SYNC,
                        AvroCodec.of(SyncEvent.class).encode(sync()))))
                .isEqualTo(SYNC_TIME);
        assertThat(Timeline.lateEventTime(deadLetter(
                        "LATE",
                        Topics.TELEMETRY_UPLOAD,
                        AvroCodec.of(UploadEvent.class).encode(upload()))))
                .isEqualTo(UPLOAD_TIME);
    }

    @Test
    void anyOtherDeadLetterIsNotALateEvent() {
        byte[] sync = AvroCodec.of(SyncEvent.class).encode(sync());
        assertThat(Timeline.lateEventTime(deadLetter("INVALID_FIELD", Topics.TELEMETRY_SYNC, sync)))
                .isNull();
        assertThat(Timeline.lateEventTime(deadLetter(null, Topics.TELEMETRY_SYNC, sync)))
                .isNull();
        // A dead letter that had to leave its value out (larger than the producer sends) carries no event time.
        assertThat(Timeline.lateEventTime(deadLetter("LATE", Topics.TELEMETRY_SYNC, null)))
                .isNull();
    }

    private static ConsumerRecord<String, byte[]> deadLetter(String code, String sourceTopic, byte[] value) {
        RecordHeaders headers = new RecordHeaders();
        for (var header : Map.of("rollguard.dlq.stage", "LATENESS", "rollguard.dlq.source.topic", sourceTopic)
                .entrySet()) {
            headers.add(header.getKey(), header.getValue().getBytes(StandardCharsets.UTF_8));
        }
        if (code != null) {
            headers.add("rollguard.dlq.code", code.getBytes(StandardCharsets.UTF_8));
        }
        return new ConsumerRecord<>(
                Topics.TELEMETRY_DLQ,
                0,
                7L,
                0L,
                TimestampType.CREATE_TIME,
                0,
                value == null ? 0 : value.length,
                "client-42",
                value,
                headers,
                Optional.empty());
    }

    private static SyncEvent sync() {
        return SyncEvent.newBuilder()
                .setEventId("sync-1")
                .setEventTime(SYNC_TIME)
                .setClientId("client-42")
                .setSuccess(true)
                .setDurationMs(900L)
                .build();
    }

    private static UploadEvent upload() {
        return UploadEvent.newBuilder()
                .setEventId("upload-1")
                .setEventTime(UPLOAD_TIME)
                .setClientId("client-42")
                .setSuccess(true)
                .setDurationMs(10L)
                .build();
    }
}
