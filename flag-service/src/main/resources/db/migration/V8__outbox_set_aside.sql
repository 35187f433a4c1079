-- A row the broker refuses for good (too large, not serialisable) is set aside, so the rows behind it are published.
-- Adding a nullable column without a default is a catalog change only; the lock it needs is waited for at most 10 s
-- (a relay pass of a replica of the previous version holds rows), so a busy outbox fails this start, which is
-- retried, instead of holding every flag write behind it. The partial index on unsent rows stays as it is: the relay's
-- query filters the few set-aside rows out of it, and rebuilding it would scan the whole table under that lock.
SET LOCAL lock_timeout = '10s';
ALTER TABLE outbox ADD COLUMN failed_at TIMESTAMPTZ, ADD COLUMN failure TEXT;
