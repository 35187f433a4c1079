-- Rollout plans: each stage also carries the minimum clients per cohort and its promotion mode; the plan says what
-- happens when a stage misses its minimums; the flag records a pause or abort with its reason and where it stopped.
ALTER TABLE flags
    ADD COLUMN minimums_deadline_seconds  BIGINT      NOT NULL DEFAULT 86400 CHECK (minimums_deadline_seconds > 0),
    ADD COLUMN minimums_extension_seconds BIGINT      NOT NULL DEFAULT 86400 CHECK (minimums_extension_seconds >= 0),
    ADD COLUMN minimums_missed_action     VARCHAR(16) NOT NULL DEFAULT 'hold'
        CHECK (minimums_missed_action IN ('hold', 'revert')),
    ADD COLUMN pause_reason               TEXT,
    ADD COLUMN aborted                    BOOLEAN     NOT NULL DEFAULT FALSE,
    ADD COLUMN abort_reason               TEXT,
    ADD COLUMN aborted_at_stage           INTEGER;

-- Stages written before plans had minimums and modes: no minimum, promoted by hand.
UPDATE flags
SET stages = (
    SELECT COALESCE(jsonb_agg(
               jsonb_build_object('minClientsPerCohort', 0, 'promotion', 'manual') || s ORDER BY n), '[]'::jsonb)::text
    FROM jsonb_array_elements(flags.stages::jsonb) WITH ORDINALITY AS e(s, n))
WHERE stages <> '[]';

-- Who moved a rollout from which stage to which, beside the full states before and after.
ALTER TABLE audit_log
    ADD COLUMN from_stage INTEGER,
    ADD COLUMN to_stage   INTEGER;
