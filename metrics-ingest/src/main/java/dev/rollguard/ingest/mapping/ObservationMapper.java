package dev.rollguard.ingest.mapping;

import dev.rollguard.ingest.domain.Observation;
import dev.rollguard.ingest.domain.TelemetryKind;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.event.UploadEvent;
import java.nio.charset.StandardCharsets;
import org.apache.commons.codec.digest.MurmurHash3;

/** Reduces a valid telemetry event to the figures the windows aggregate. */
public final class ObservationMapper {

    /** The error code sync events carry when a storage quota stopped them. */
    public static final String QUOTA_EXCEEDED = "QUOTA_EXCEEDED";

    private ObservationMapper() {}

    public static Observation fromSync(SyncEvent e) {
        return new Observation(
                TelemetryKind.SYNC,
                e.getEventTime().toEpochMilli(),
                e.getSuccess(),
                e.getDurationMs(),
                clientHash(e.getClientId()),
                e.getTable(),
                orMinus(e.getStorageUsedBytes()),
                orMinus(e.getStorageQuotaBytes()),
                orMinus(e.getPendingMutations()),
                orMinus(e.getFailedMutations()),
                orMinus(e.getSyncQueueLength()),
                0,
                QUOTA_EXCEEDED.equals(e.getErrorCode()),
                e.getErrorCode(),
                e.getErrorMessage());
    }

    public static Observation fromUpload(UploadEvent e) {
        return new Observation(
                TelemetryKind.UPLOAD,
                e.getEventTime().toEpochMilli(),
                e.getSuccess(),
                e.getDurationMs(),
                clientHash(e.getClientId()),
                e.getTable(),
                orMinus(e.getStorageUsedBytes()),
                orMinus(e.getStorageQuotaBytes()),
                orMinus(e.getPendingMutations()),
                orMinus(e.getFailedMutations()),
                orMinus(e.getSyncQueueLength()),
                e.getBytes(),
                e.getQuotaExceeded() || QUOTA_EXCEEDED.equals(e.getErrorCode()),
                e.getErrorCode(),
                e.getErrorMessage());
    }

    /** 64 bits of MurmurHash3 x64 128 of the client id: collisions are negligible for distinct counting. */
    static long clientHash(String clientId) {
        byte[] bytes = clientId.getBytes(StandardCharsets.UTF_8);
        return MurmurHash3.hash128x64(bytes, 0, bytes.length, 0)[0];
    }

    private static long orMinus(Long value) {
        return value == null ? -1 : value;
    }

    private static int orMinus(Integer value) {
        return value == null ? -1 : value;
    }
}
