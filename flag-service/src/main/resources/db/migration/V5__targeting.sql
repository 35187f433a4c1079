-- Targeting: each flag's ordered rules and its weighted split among variants, as JSON read and written whole (like
-- the other list-valued settings); named segments the rules share, each with its constraints.
ALTER TABLE flags
    ADD COLUMN rules           TEXT NOT NULL DEFAULT '[]',
    ADD COLUMN variant_weights TEXT NOT NULL DEFAULT '[]';

CREATE TABLE segments (
    segment_key VARCHAR(128) PRIMARY KEY,
    description TEXT,
    constraints TEXT         NOT NULL,
    version     BIGINT       NOT NULL,
    created_at  TIMESTAMPTZ  NOT NULL,
    updated_at  TIMESTAMPTZ  NOT NULL,
    updated_by  VARCHAR(200) NOT NULL
);

-- A segment's changes are audited beside the flags': those rows name the segment and no flag.
ALTER TABLE audit_log
    ALTER COLUMN flag_key DROP NOT NULL,
    ADD COLUMN segment_key VARCHAR(128);
CREATE INDEX audit_log_segment_at ON audit_log (segment_key, at DESC) WHERE segment_key IS NOT NULL;
