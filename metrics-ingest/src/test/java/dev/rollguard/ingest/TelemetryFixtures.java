package dev.rollguard.ingest;

import dev.rollguard.schemas.event.FlagChangeType;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.FlagExposure;
import dev.rollguard.schemas.event.FlagValueType;
import dev.rollguard.schemas.event.FlagVariant;
import dev.rollguard.schemas.event.GuardAction;
import dev.rollguard.schemas.event.GuardPolicy;
import dev.rollguard.schemas.event.Platform;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.event.SyncKind;
import dev.rollguard.schemas.event.UploadEvent;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** Builders of valid telemetry and flag events for the tests. */
public final class TelemetryFixtures {

    private TelemetryFixtures() {}

    public static SyncEvent.Builder sync(String clientId, Instant at, boolean success, long durationMs) {
        return SyncEvent.newBuilder()
                .setEventId(UUID.randomUUID().toString())
                .setEventTime(at)
                .setClientId(clientId)
                .setPlatform(Platform.WEB)
                // Set, not defaulted: the builder resolves enum defaults with the class loader of the thread that
                // loaded it, which in @QuarkusTest differs from the application's.
                .setSyncKind(SyncKind.OTHER)
                .setSuccess(success)
                .setDurationMs(durationMs)
                .setErrorCode(success ? null : "TIMEOUT")
                .setErrorMessage(success ? null : "sync timed out");
    }

    public static UploadEvent.Builder upload(
            String clientId, Instant at, boolean success, long durationMs, long bytes) {
        return UploadEvent.newBuilder()
                .setEventId(UUID.randomUUID().toString())
                .setEventTime(at)
                .setClientId(clientId)
                .setPlatform(Platform.IOS)
                .setSuccess(success)
                .setDurationMs(durationMs)
                .setBytes(bytes);
    }

    public static FlagExposure exposure(String flagKey, String variant, Boolean treated) {
        return FlagExposure.newBuilder()
                .setFlagKey(flagKey)
                .setVariant(variant)
                .setTreated(treated)
                .build();
    }

    /** A boolean flag with variants on/off, enabled, rolled out to {@code basisPoints}. */
    public static FlagChangedEvent.Builder flag(String key, long version, Instant changedAt, int basisPoints) {
        return FlagChangedEvent.newBuilder()
                .setEventId(UUID.randomUUID().toString())
                .setFlagKey(key)
                .setVersion(version)
                .setChangeType(version == 1 ? FlagChangeType.CREATED : FlagChangeType.UPDATED)
                .setChangedAt(changedAt)
                .setActor("test")
                .setEnabled(true)
                .setValueType(FlagValueType.BOOLEAN)
                .setVariants(List.of(
                        FlagVariant.newBuilder()
                                .setName("on")
                                .setValueJson("true")
                                .build(),
                        FlagVariant.newBuilder()
                                .setName("off")
                                .setValueJson("false")
                                .build()))
                .setTreatmentVariant("on")
                .setOffVariant("off")
                .setRolloutBasisPoints(basisPoints)
                .setGuardPolicy(
                        GuardPolicy.newBuilder().setAction(GuardAction.KILL).build());
    }

    /** The global kill switch under key '*'. */
    public static FlagChangedEvent globalKill(long version, Instant at, boolean killed) {
        return flag("*", version, at, 0)
                .setChangeType(killed ? FlagChangeType.GLOBAL_KILLED : FlagChangeType.GLOBAL_UNKILLED)
                .build();
    }
}
