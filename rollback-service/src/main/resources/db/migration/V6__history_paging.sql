-- The history is paged by (created_at, id): GET /api/rollbacks?before=<id> answers the actions after that one in the
-- order created_at desc, id desc. This index, read backwards, serves that order and the row comparison with the
-- cursor; it replaces the index on created_at alone, which served the first page only.
-- Built in the migration's transaction, not CONCURRENTLY: the table holds one row per alert the guard handled, so the
-- build is short, and an action stored meanwhile waits for it rather than fails.
CREATE INDEX rollback_action_created_id ON rollback_action (created_at, id);

DROP INDEX rollback_action_created;
