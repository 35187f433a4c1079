-- A transition Kafka refused for good (a record larger than the topic takes, a topic name it cannot have, a producer
-- not authorized to write, a record that cannot be serialized) is parked: kept with when and why, never sent again,
-- and no longer unpublished for the relay, so the later transitions of its fingerprint are published in their order.
-- GET /api/alerts?view=parked lists them.
ALTER TABLE alerts
    ADD COLUMN parked_at     TIMESTAMPTZ,
    ADD COLUMN parked_reason VARCHAR(32),
    ADD COLUMN parked_error  TEXT;
DROP INDEX alerts_unpublished;
CREATE INDEX alerts_unpublished ON alerts (seq) WHERE published_at IS NULL AND parked_at IS NULL;
CREATE INDEX alerts_parked ON alerts (seq) WHERE parked_at IS NOT NULL;
