-- Scale-out: every instance acts only on the partitions of metrics.windows it owns.
-- The partition each per-scope row belongs to (the partition of the windows that wrote it). Rows written before this
-- version have none: they are acted on only by an instance that owns every partition.
ALTER TABLE rule_states ADD COLUMN partition_no INT;
ALTER TABLE cohort_windows ADD COLUMN partition_no INT;
ALTER TABLE guard_stages ADD COLUMN partition_no INT;

-- The current owner of each partition and its epoch, claimed (epoch + 1) on every assignment. Each evaluation write
-- locks the rows of the partitions its instance holds (FOR SHARE) and checks owner and epoch: a write of an instance
-- that lost a partition (a sweep racing a rebalance, a paused process) is rolled back, and a claim waits for a write
-- in progress, so the new owner reads what the old one committed.
CREATE TABLE partition_owners (
    topic        VARCHAR(200) NOT NULL,
    partition_no INT          NOT NULL,
    owner        VARCHAR(200) NOT NULL,
    epoch        BIGINT       NOT NULL,
    claimed_at   TIMESTAMPTZ  NOT NULL,
    PRIMARY KEY (topic, partition_no)
);

-- Pending webhook deliveries are claimed by one instance for a lease (SKIP LOCKED), so two instances never send the
-- same delivery; a crashed instance's claims expire and another instance takes them over.
ALTER TABLE webhook_deliveries
    ADD COLUMN claimed_by    VARCHAR(200),
    ADD COLUMN claimed_until TIMESTAMPTZ;

-- Which instance stored an alert transition: its own relay sends it right after the commit; another instance's outbox
-- poll takes it over only once it has stayed unpublished for the takeover delay (the storing instance crashed).
ALTER TABLE alerts ADD COLUMN stored_by VARCHAR(200);
