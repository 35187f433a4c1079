-- The X-Request-Id and trace id of the request that made each change: an automatic kill carries those of the
-- telemetry request behind the breach, so one id leads from a failed event to the audit row.
ALTER TABLE audit_log
    ADD COLUMN request_id TEXT,
    ADD COLUMN trace_id   TEXT;
