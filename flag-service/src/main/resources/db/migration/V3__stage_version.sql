-- The flag version that began the current stage: the guard's evidence for a stage counts from it, so whoever promotes
-- on that evidence can tell that it belongs to the stage in force and not to one before it.
ALTER TABLE flags
    ADD COLUMN stage_version BIGINT;

UPDATE flags
SET stage_version = version
WHERE current_stage IS NOT NULL;
