-- The guard's evidence of the alert that caused an action, beside the two cohorts' values: clients per cohort, the
-- relative effect with its confidence-sequence interval, how much of the evidence threshold was reached, and the
-- verdict in one line for people.
ALTER TABLE rollback_action
    ADD COLUMN cmp_treatment_clients BIGINT,
    ADD COLUMN cmp_control_clients   BIGINT,
    ADD COLUMN cmp_relative_effect   DOUBLE PRECISION,
    ADD COLUMN cmp_effect_lower      DOUBLE PRECISION,
    ADD COLUMN cmp_effect_upper      DOUBLE PRECISION,
    ADD COLUMN cmp_confidence        DOUBLE PRECISION,
    ADD COLUMN cmp_evidence          DOUBLE PRECISION,
    ADD COLUMN cmp_summary           TEXT;
