-- A transition the relay can never send (Kafka refuses the record itself, such as one over max.request.size or the
-- topic's max.message.bytes, or its stored payload is empty, not Avro, malformed or cannot be serialized) is settled
-- as dead-lettered: kept with when and why, never sent again, and no longer holding back the later transitions of its
-- alert. The outbox is what is neither published nor dead-lettered.
--
-- Nullable columns without a default are a catalog change only, and the constraints are NOT VALID, so nothing scans
-- or rewrites the alerts table (never pruned) under the ACCESS EXCLUSIVE lock; the lock is waited for at most 10 s,
-- not behind every query of a busy table. No index is built: alerts_unpublished (published_at IS NULL) still serves
-- the outbox poll of this release, whose dead-lettered rows are few, and that of the release before it during a
-- rolling upgrade. The constraints hold for every row written from now on; rows before have neither column set.
SET LOCAL lock_timeout = '10s';
ALTER TABLE alerts ADD COLUMN dead_lettered_at TIMESTAMPTZ;
ALTER TABLE alerts ADD COLUMN dead_letter_reason TEXT;
ALTER TABLE alerts ADD CONSTRAINT alerts_dead_letter_has_reason
    CHECK (dead_lettered_at IS NULL OR dead_letter_reason IS NOT NULL) NOT VALID;
ALTER TABLE alerts ADD CONSTRAINT alerts_published_or_dead_lettered
    CHECK (published_at IS NULL OR dead_lettered_at IS NULL) NOT VALID;
