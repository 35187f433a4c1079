-- A transition the relay can never send (Kafka refuses the record itself, such as one over max.request.size or the
-- topic's max.message.bytes, or its stored payload cannot be decoded or serialized) is settled as dead-lettered: kept
-- with when and why, never sent again, and no longer holding back the later transitions of its alert. The outbox is
-- what is neither published nor dead-lettered; its index replaces alerts_unpublished.
ALTER TABLE alerts ADD COLUMN dead_lettered_at TIMESTAMPTZ;
ALTER TABLE alerts ADD COLUMN dead_letter_reason TEXT;
DROP INDEX alerts_unpublished;
CREATE INDEX alerts_unsettled ON alerts (seq) WHERE published_at IS NULL AND dead_lettered_at IS NULL;
CREATE INDEX alerts_dead_lettered ON alerts (dead_lettered_at) WHERE dead_lettered_at IS NOT NULL;
