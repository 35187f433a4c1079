-- The index on (at) alone is the first column of the one V9 built on (at, id), so that one serves everything it
-- did; kept, it would cost every audit insert a second index entry and leave the planner choosing between the two.
-- Dropped CONCURRENTLY (outside a transaction, as V9), so reads and writes of the log go on meanwhile.
DROP INDEX CONCURRENTLY IF EXISTS ${flyway:defaultSchema}.audit_log_at;
