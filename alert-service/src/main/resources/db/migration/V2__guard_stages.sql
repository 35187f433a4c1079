-- The guard's evidence per flag: the client-level sums of every guard metric per cohort since the current rollout
-- stage began (JSON), written in the transaction of the windows that added to them, and the latest verdict.
CREATE TABLE guard_stages (
    flag_key      VARCHAR(200) PRIMARY KEY,
    stage_version BIGINT       NOT NULL,
    evidence      TEXT         NOT NULL,
    verdict       TEXT,
    updated_at    TIMESTAMPTZ  NOT NULL
);
