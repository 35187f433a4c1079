-- Flags, with list- and map-valued settings kept as JSON text (read and written whole by the service).
CREATE TABLE flags (
    flag_key               VARCHAR(128) PRIMARY KEY,
    description            TEXT,
    owner                  VARCHAR(200),
    value_type             VARCHAR(16)  NOT NULL,
    enabled                BOOLEAN      NOT NULL,
    killed                 BOOLEAN      NOT NULL DEFAULT FALSE,
    kill_reason            TEXT,
    archived               BOOLEAN      NOT NULL DEFAULT FALSE,
    parent_key             VARCHAR(128),
    allow_list             TEXT         NOT NULL,
    deny_list              TEXT         NOT NULL,
    rollout_basis_points   INTEGER      NOT NULL CHECK (rollout_basis_points BETWEEN 0 AND 10000),
    variants               TEXT         NOT NULL,
    treatment_variant      VARCHAR(128) NOT NULL,
    off_variant            VARCHAR(128) NOT NULL,
    stages                 TEXT         NOT NULL,
    current_stage          INTEGER,
    stage_entered_at       TIMESTAMPTZ,
    paused                 BOOLEAN      NOT NULL DEFAULT FALSE,
    guard_action           VARCHAR(16)  NOT NULL,
    guard_dry_run          BOOLEAN      NOT NULL,
    guard_cooldown_seconds BIGINT       NOT NULL,
    version                BIGINT       NOT NULL,
    created_at             TIMESTAMPTZ  NOT NULL,
    updated_at             TIMESTAMPTZ  NOT NULL,
    updated_by             VARCHAR(200) NOT NULL
);

-- The environment-wide kill switch: exactly one row.
CREATE TABLE global_switch (
    id         SMALLINT PRIMARY KEY CHECK (id = 1),
    killed     BOOLEAN      NOT NULL,
    reason     TEXT,
    version    BIGINT       NOT NULL,
    updated_at TIMESTAMPTZ  NOT NULL,
    updated_by VARCHAR(200) NOT NULL
);
INSERT INTO global_switch (id, killed, reason, version, updated_at, updated_by)
VALUES (1, FALSE, NULL, 0, now(), 'migration');

-- Append-only: the service only ever inserts here.
CREATE TABLE audit_log (
    id              BIGSERIAL PRIMARY KEY,
    flag_key        VARCHAR(128) NOT NULL,
    action          VARCHAR(32)  NOT NULL,
    actor           VARCHAR(200) NOT NULL,
    token_name      VARCHAR(200) NOT NULL,
    reason          TEXT,
    before_state    TEXT,
    after_state     TEXT,
    idempotency_key VARCHAR(200),
    at              TIMESTAMPTZ  NOT NULL
);
CREATE INDEX audit_log_flag_at ON audit_log (flag_key, at DESC);
CREATE INDEX audit_log_at ON audit_log (at DESC);

-- Written in the transaction of every change; the relay publishes unsent rows in id order.
CREATE TABLE outbox (
    id         BIGSERIAL PRIMARY KEY,
    event_id   UUID         NOT NULL UNIQUE,
    flag_key   VARCHAR(128) NOT NULL,
    version    BIGINT       NOT NULL,
    payload    BYTEA        NOT NULL,
    created_at TIMESTAMPTZ  NOT NULL,
    sent_at    TIMESTAMPTZ
);
CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL;

-- Only the SHA-256 of a token is stored; the token itself is shown once, when it is created.
CREATE TABLE api_tokens (
    id                  UUID PRIMARY KEY,
    name                VARCHAR(200) NOT NULL UNIQUE,
    kind                VARCHAR(16)  NOT NULL,
    token_hash          CHAR(64)     NOT NULL UNIQUE,
    requests_per_second INTEGER,
    created_at          TIMESTAMPTZ  NOT NULL,
    created_by          VARCHAR(200) NOT NULL,
    revoked_at          TIMESTAMPTZ
);

-- First response of every write sent with an Idempotency-Key, per token.
CREATE TABLE idempotency_keys (
    token_name      VARCHAR(200) NOT NULL,
    idempotency_key VARCHAR(200) NOT NULL,
    status          INTEGER      NOT NULL,
    body            TEXT         NOT NULL,
    etag            VARCHAR(64),
    created_at      TIMESTAMPTZ  NOT NULL,
    PRIMARY KEY (token_name, idempotency_key)
);
