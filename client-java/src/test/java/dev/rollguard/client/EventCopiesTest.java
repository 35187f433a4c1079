package dev.rollguard.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.schemas.event.FlagExposure;
import dev.rollguard.schemas.event.Platform;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.event.SyncKind;
import dev.rollguard.schemas.event.UploadEvent;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;

class EventCopiesTest {

    private static final List<FlagExposure> EXPOSURES = List.of(FlagExposure.newBuilder()
            .setFlagKey("new-sync")
            .setVariant("on")
            .setFlagVersion(3L)
            .build());

    @Test
    void aSyncCopyHasEveryFieldOfTheSchemaAsTheTemplateHasIt() {
        SyncEvent.Builder template = SyncEvent.newBuilder()
                .setEventId("e-1")
                .setEventTime(Instant.parse("2026-12-06T03:00:00Z"))
                .setClientId("c-1")
                .setUserId("u-1")
                .setSessionId("s-1")
                .setPlatform(Platform.IOS)
                .setAppVersion("4.2.0")
                .setExposures(EXPOSURES)
                .setSyncKind(SyncKind.INCREMENTAL)
                .setTable("entries")
                .setSuccess(false)
                .setDurationMs(1_200)
                .setRecordsSynced(40)
                .setErrorCode("TIMEOUT")
                .setErrorMessage("read timed out")
                .setStorageUsedBytes(1_000L)
                .setStorageQuotaBytes(10_000L)
                .setPendingMutations(3)
                .setFailedMutations(1)
                .setSyncQueueLength(2)
                .setContext(Map.of("country", "FR"));
        SyncEvent original = template.build();
        assertEveryFieldSet(original);

        SyncEvent.Builder copy = EventCopies.of(template);

        assertThat(copy.build()).isEqualTo(original);
        copy.setEventId("e-2").getExposures().clear();
        assertThat(template.build()).as("the template left as it was").isEqualTo(original);
    }

    @Test
    void anUploadCopyHasEveryFieldOfTheSchemaAsTheTemplateHasIt() {
        UploadEvent.Builder template = UploadEvent.newBuilder()
                .setEventId("e-1")
                .setEventTime(Instant.parse("2026-12-06T03:00:00Z"))
                .setClientId("c-1")
                .setUserId("u-1")
                .setSessionId("s-1")
                .setPlatform(Platform.ANDROID)
                .setAppVersion("4.2.0")
                .setExposures(EXPOSURES)
                .setTable("photos")
                .setSuccess(true)
                .setDurationMs(800)
                .setBytes(4_096L)
                .setQuotaExceeded(false)
                .setErrorCode("NONE")
                .setErrorMessage("fine")
                .setStorageUsedBytes(1_000L)
                .setStorageQuotaBytes(10_000L)
                .setPendingMutations(3)
                .setFailedMutations(1)
                .setSyncQueueLength(2)
                .setContext(Map.of("country", "FR"));
        UploadEvent original = template.build();
        assertEveryFieldSet(original);

        UploadEvent.Builder copy = EventCopies.of(template);

        assertThat(copy.build()).isEqualTo(original);
    }

    @Test
    void fieldsTheTemplateLeftUnsetStayUnsetInTheCopy() {
        SyncEvent.Builder copy = EventCopies.of(SyncEvent.newBuilder().setSuccess(true));

        assertThat(copy.hasSuccess()).isTrue();
        assertThat(copy.hasEventId()).isFalse();
        assertThat(copy.hasDurationMs()).isFalse();
        assertThat(copy.hasExposures()).isFalse();
    }

    /** Every field of the schema holds a value: a field added to it fails here until the copies and tests have it. */
    private static void assertEveryFieldSet(SpecificRecord event) {
        for (Schema.Field field : event.getSchema().getFields()) {
            assertThat(event.get(field.pos())).as(field.name()).isNotNull();
        }
    }
}
