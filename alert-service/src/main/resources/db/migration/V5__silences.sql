-- Silences: notifications of alerts whose labels match every matcher are held back between starts_at and ends_at.
-- Only notifications: the alerts topic, and so the rollback-service's guard, is never silenced. Rows are kept after
-- they end (expired_at set when ended early over the API), so who silenced what, when and why stays on record.
CREATE TABLE silences (
    id         VARCHAR(64)   PRIMARY KEY,
    matchers   TEXT          NOT NULL,
    starts_at  TIMESTAMPTZ   NOT NULL,
    ends_at    TIMESTAMPTZ   NOT NULL,
    created_by VARCHAR(200)  NOT NULL,
    comment    VARCHAR(2000) NOT NULL,
    created_at TIMESTAMPTZ   NOT NULL,
    expired_at TIMESTAMPTZ
);
CREATE INDEX silences_by_end ON silences (ends_at);
