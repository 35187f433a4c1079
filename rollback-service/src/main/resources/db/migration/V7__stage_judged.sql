-- The version of the flag that began the rollout stage the guard's alert judged (AlertEvent comparison.stageVersion).
-- A REVERT_STAGE is sent tied to it, also when it is resumed after a crash, so the request under its Idempotency-Key is
-- the same as the first; null for an alert that did not name a stage (a threshold rule, an older alert-service).
-- The outcome SKIPPED_STAGE_CHANGED (the flag already in another stage) needs no change here: outcome is free text.
ALTER TABLE rollback_action
    ADD COLUMN cmp_stage_version BIGINT;
