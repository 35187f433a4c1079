package dev.rollguard.client;

import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.event.UploadEvent;
import java.util.ArrayList;
import java.util.LinkedHashMap;

/**
 * Copies of the app's event builders, for {@link TelemetryClient#send} to fill in without changing the app's own. The
 * fields are copied one by one (the lists and maps the client replaces as new ones): Avro's copy constructor deep-copies
 * enums through the class loader of Avro itself, which is not the events' in a Quarkus application's tests or dev mode
 * (a {@link ClassCastException} of {@code SyncKind} to {@code SyncKind}). {@code EventCopiesTest} holds these to
 * every field of the schemas.
 */
final class EventCopies {

    private EventCopies() {}

    /** A new builder with every field the template has set, set to the same value. */
    static SyncEvent.Builder of(SyncEvent.Builder template) {
        SyncEvent.Builder copy = SyncEvent.newBuilder();
        if (template.hasEventId()) {
            copy.setEventId(template.getEventId());
        }
        if (template.hasEventTime()) {
            copy.setEventTime(template.getEventTime());
        }
        if (template.hasClientId()) {
            copy.setClientId(template.getClientId());
        }
        if (template.hasUserId()) {
            copy.setUserId(template.getUserId());
        }
        if (template.hasSessionId()) {
            copy.setSessionId(template.getSessionId());
        }
        if (template.hasPlatform()) {
            copy.setPlatform(template.getPlatform());
        }
        if (template.hasAppVersion()) {
            copy.setAppVersion(template.getAppVersion());
        }
        if (template.hasExposures()) {
            copy.setExposures(template.getExposures() == null ? null : new ArrayList<>(template.getExposures()));
        }
        if (template.hasSyncKind()) {
            copy.setSyncKind(template.getSyncKind());
        }
        if (template.hasTable()) {
            copy.setTable(template.getTable());
        }
        if (template.hasSuccess()) {
            copy.setSuccess(template.getSuccess());
        }
        if (template.hasDurationMs()) {
            copy.setDurationMs(template.getDurationMs());
        }
        if (template.hasRecordsSynced()) {
            copy.setRecordsSynced(template.getRecordsSynced());
        }
        if (template.hasErrorCode()) {
            copy.setErrorCode(template.getErrorCode());
        }
        if (template.hasErrorMessage()) {
            copy.setErrorMessage(template.getErrorMessage());
        }
        if (template.hasStorageUsedBytes()) {
            copy.setStorageUsedBytes(template.getStorageUsedBytes());
        }
        if (template.hasStorageQuotaBytes()) {
            copy.setStorageQuotaBytes(template.getStorageQuotaBytes());
        }
        if (template.hasPendingMutations()) {
            copy.setPendingMutations(template.getPendingMutations());
        }
        if (template.hasFailedMutations()) {
            copy.setFailedMutations(template.getFailedMutations());
        }
        if (template.hasSyncQueueLength()) {
            copy.setSyncQueueLength(template.getSyncQueueLength());
        }
        if (template.hasContext()) {
            copy.setContext(template.getContext() == null ? null : new LinkedHashMap<>(template.getContext()));
        }
        return copy;
    }

    /** A new builder with every field the template has set, set to the same value. */
    static UploadEvent.Builder of(UploadEvent.Builder template) {
        UploadEvent.Builder copy = UploadEvent.newBuilder();
        if (template.hasEventId()) {
            copy.setEventId(template.getEventId());
        }
        if (template.hasEventTime()) {
            copy.setEventTime(template.getEventTime());
        }
        if (template.hasClientId()) {
            copy.setClientId(template.getClientId());
        }
        if (template.hasUserId()) {
            copy.setUserId(template.getUserId());
        }
        if (template.hasSessionId()) {
            copy.setSessionId(template.getSessionId());
        }
        if (template.hasPlatform()) {
            copy.setPlatform(template.getPlatform());
        }
        if (template.hasAppVersion()) {
            copy.setAppVersion(template.getAppVersion());
        }
        if (template.hasExposures()) {
            copy.setExposures(template.getExposures() == null ? null : new ArrayList<>(template.getExposures()));
        }
        if (template.hasTable()) {
            copy.setTable(template.getTable());
        }
        if (template.hasSuccess()) {
            copy.setSuccess(template.getSuccess());
        }
        if (template.hasDurationMs()) {
            copy.setDurationMs(template.getDurationMs());
        }
        if (template.hasBytes()) {
            copy.setBytes(template.getBytes());
        }
        if (template.hasQuotaExceeded()) {
            copy.setQuotaExceeded(template.getQuotaExceeded());
        }
        if (template.hasErrorCode()) {
            copy.setErrorCode(template.getErrorCode());
        }
        if (template.hasErrorMessage()) {
            copy.setErrorMessage(template.getErrorMessage());
        }
        if (template.hasStorageUsedBytes()) {
            copy.setStorageUsedBytes(template.getStorageUsedBytes());
        }
        if (template.hasStorageQuotaBytes()) {
            copy.setStorageQuotaBytes(template.getStorageQuotaBytes());
        }
        if (template.hasPendingMutations()) {
            copy.setPendingMutations(template.getPendingMutations());
        }
        if (template.hasFailedMutations()) {
            copy.setFailedMutations(template.getFailedMutations());
        }
        if (template.hasSyncQueueLength()) {
            copy.setSyncQueueLength(template.getSyncQueueLength());
        }
        if (template.hasContext()) {
            copy.setContext(template.getContext() == null ? null : new LinkedHashMap<>(template.getContext()));
        }
        return copy;
    }
}
