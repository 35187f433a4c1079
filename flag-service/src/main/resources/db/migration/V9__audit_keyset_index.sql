-- The audit log is read newest first, a page at a time, from a cursor on (at, id) (AuditRepository): this index is
-- that order, so a page starts at its cursor instead of reading every row newer than it.
--
-- Built CONCURRENTLY, so writes, the audit rows of every flag change included, go on while it is built on a large
-- table. That cannot run in a transaction: Flyway sees it and runs this migration outside one, which is why it holds
-- nothing but these statements, and its lock against concurrent migrations is a session lock (MigrationLocking).
-- A build that fails leaves an invalid index behind and this migration marked failed; after `flyway repair` the next
-- start runs it again, and the DROP clears what the failed build left (named with its schema: the search path also
-- holds public, where another schema's run must not find the service's own index).
DROP INDEX CONCURRENTLY IF EXISTS ${flyway:defaultSchema}.audit_log_at_id;
CREATE INDEX CONCURRENTLY audit_log_at_id ON audit_log (at, id);
