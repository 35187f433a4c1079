package dev.rollguard.schemas;

/** Names of the Kafka topics of DESIGN.md, shared by producers, consumers and the local stack. */
public final class Topics {
    /** Sync telemetry, key: client id, value: SyncEvent. */
    public static final String TELEMETRY_SYNC = "telemetry.sync";
    /** Upload telemetry, key: client id, value: UploadEvent. */
    public static final String TELEMETRY_UPLOAD = "telemetry.upload";
    /** Telemetry that failed to decode or validate: original key and bytes, reason in headers. */
    public static final String TELEMETRY_DLQ = "telemetry.dlq";
    /** Compacted flag state, key: flag key, value: FlagChangedEvent. */
    public static final String FLAGS_CHANGES = "flags.changes";
    /** Closed windows, key: scope, value: WindowMetricsEvent. */
    public static final String METRICS_WINDOWS = "metrics.windows";
    /** Alert transitions, key: fingerprint, value: AlertEvent. */
    public static final String ALERTS = "alerts";
    /** Window records the alert-service could not read or evaluate, with the reason in headers. */
    public static final String METRICS_WINDOWS_DLQ = "metrics.windows.dlq";
    /** Alert records the rollback-service could not read or handle, with the reason in headers. */
    public static final String ALERTS_DLQ = "alerts.dlq";
    /** Automatic actions on critical alerts, key: flag key, value: RollbackActionEvent. */
    public static final String ROLLBACKS = "rollbacks";
    /** Steps the promoter took on rollout plans by itself, key: flag key, value: RolloutActionEvent. */
    public static final String ROLLOUTS = "rollouts";
    /**
     * Targeting keys the flag-service evaluated per flag under rollout, per instance and time slice; key: flag key +
     * "|" + instance id + "|" + slice start, value: EvaluatedKeysEvent. Compacted, and deleted after a few hours.
     */
    public static final String EVALUATED_KEYS = "evaluated.keys";

    private Topics() {}
}
