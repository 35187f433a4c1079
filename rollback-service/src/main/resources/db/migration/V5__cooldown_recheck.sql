-- An alert skipped for the cooldown is looked at again when the cooldown ends: still firing, it is acted on then.
-- recheck_at is when; alert holds the alert as read (Avro), to decide on it again. Both are cleared once rechecked.
ALTER TABLE rollback_action
    ADD COLUMN recheck_at TIMESTAMPTZ,
    ADD COLUMN alert      BYTEA;

CREATE INDEX rollback_action_recheck ON rollback_action (recheck_at) WHERE recheck_at IS NOT NULL;
