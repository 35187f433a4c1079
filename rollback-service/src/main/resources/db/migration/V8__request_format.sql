-- How the guard sends a stored action to the flag-service: its path and body follow from the row's other columns in
-- the way this number names. 1: the action's endpoint with its reason, and a REVERT_STAGE tied to cmp_stage_version
-- when that is set. Null: stored before this column existed, the same requests as 1.
-- A release that sends a stored action in another way stores a higher number. A release that does not know that
-- number does not send the action again when it resumes it: its request would differ from the first one under the
-- same Idempotency-Key, which the flag-service refuses (422 IDEMPOTENCY_KEY_REUSED) when the first one went through,
-- and which could make a change the first one would not have made when it did not.
-- A nullable column without a default is a catalog change only; the lock it needs is waited for at most 10 s, so a
-- start that cannot have it fails and is tried again rather than holding every query on the table behind it.
SET LOCAL lock_timeout = '10s';
ALTER TABLE rollback_action
    ADD COLUMN request_format INTEGER;
