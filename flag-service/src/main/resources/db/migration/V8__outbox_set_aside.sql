-- A row the broker refuses for good (too large, not serialisable) is set aside, so the rows behind it are published.
ALTER TABLE outbox ADD COLUMN failed_at TIMESTAMPTZ;
ALTER TABLE outbox ADD COLUMN failure TEXT;
DROP INDEX outbox_unsent;
CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL AND failed_at IS NULL;
