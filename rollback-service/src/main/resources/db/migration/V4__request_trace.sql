-- The request id and trace id the guard sent to the flag-service with its change: those of the alert's first
-- exemplar (the telemetry request behind the breach), so one id leads from a failed event to the flag's audit row.
ALTER TABLE rollback_action
    ADD COLUMN request_id TEXT,
    ADD COLUMN trace_id   TEXT;
