package dev.rollguard.ingest.domain;

/** The two kinds of telemetry events. */
public enum TelemetryKind {
    SYNC,
    UPLOAD
}
