package dev.rollguard.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.schemas.event.FlagExposure;
import dev.rollguard.schemas.event.Platform;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.event.SyncKind;
import dev.rollguard.schemas.event.UploadEvent;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class TelemetryJsonTest {

    @Test
    void eventsAreTheirSchemaFieldsWithTheirTypeEpochMillisecondsAndEnumSymbols() throws Exception {
        SyncEvent sync = SyncEvent.newBuilder()
                .setEventId("e-1")
                .setEventTime(Instant.parse("2026-01-01T00:00:00.250Z"))
                .setClientId("c-1")
                .setUserId("alice")
                .setPlatform(Platform.ANDROID)
                .setSyncKind(SyncKind.PUSH)
                .setTable("entries")
                .setSuccess(false)
                .setDurationMs(5_200)
                .setErrorCode("TIMEOUT")
                .setErrorMessage("line one\nline \"two\"")
                .setPendingMutations(12)
                .setStorageUsedBytes(4_096L)
                .setExposures(List.of(FlagExposure.newBuilder()
                        .setFlagKey("new-sync")
                        .setVariant("on")
                        .setFlagVersion(7L)
                        .build()))
                .build();
        UploadEvent upload = UploadEvent.newBuilder()
                .setEventId("e-2")
                .setEventTime(Instant.ofEpochMilli(1_000))
                .setClientId("c-1")
                .setPlatform(Platform.WEB)
                .setSuccess(true)
                .setDurationMs(800)
                .setBytes(40_960)
                .build();

        JsonNode events = new ObjectMapper()
                .readTree(TelemetryJson.batch(List.of(sync, upload), null))
                .path("events");

        assertThat(events).hasSize(2);
        JsonNode first = events.get(0);
        assertThat(first.path("type").asText()).isEqualTo("sync");
        assertThat(first.path("eventTime").asLong()).isEqualTo(1_767_225_600_250L);
        assertThat(first.path("platform").asText()).isEqualTo("ANDROID");
        assertThat(first.path("syncKind").asText()).isEqualTo("PUSH");
        assertThat(first.path("success").asBoolean(true)).isFalse();
        assertThat(first.path("durationMs").asLong()).isEqualTo(5_200);
        assertThat(first.path("pendingMutations").asInt()).isEqualTo(12);
        assertThat(first.path("errorMessage").asText()).isEqualTo("line one\nline \"two\"");
        assertThat(first.path("exposures").get(0).path("flagKey").asText()).isEqualTo("new-sync");
        assertThat(first.path("exposures").get(0).path("flagVersion").asLong()).isEqualTo(7);
        assertThat(first.has("sessionId"))
                .as("absent optional fields are left out")
                .isFalse();
        assertThat(first.path("exposures").get(0).has("treated")).isFalse();

        JsonNode second = events.get(1);
        assertThat(second.path("type").asText()).isEqualTo("upload");
        assertThat(second.path("bytes").asLong()).isEqualTo(40_960);
        assertThat(second.path("exposures").isArray()).isTrue();
    }
}
