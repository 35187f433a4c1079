-- Rules, editable over REST. Scope types are a comma-separated list of ScopeType symbols.
CREATE TABLE rules (
    id                      VARCHAR(100)     PRIMARY KEY,
    name                    VARCHAR(200)     NOT NULL,
    metric                  VARCHAR(100)     NOT NULL,
    comparator              VARCHAR(32)      NOT NULL,
    warning_threshold       DOUBLE PRECISION,
    warning_for_seconds     BIGINT,
    critical_threshold      DOUBLE PRECISION,
    critical_for_seconds    BIGINT,
    keep_firing_for_seconds BIGINT           NOT NULL,
    min_sample_size         BIGINT           NOT NULL,
    no_data_policy          VARCHAR(32)      NOT NULL,
    scope_types             VARCHAR(200)     NOT NULL,
    scope_flag_key          VARCHAR(200),
    scope_cohort            VARCHAR(32),
    scope_table             VARCHAR(200),
    scope_platform          VARCHAR(32),
    scope_window_kind       VARCHAR(32),
    confidence              DOUBLE PRECISION NOT NULL,
    enabled                 BOOLEAN          NOT NULL,
    labels                  TEXT             NOT NULL,
    annotations             TEXT             NOT NULL,
    version                 BIGINT           NOT NULL,
    created_at              TIMESTAMPTZ      NOT NULL,
    updated_at              TIMESTAMPTZ      NOT NULL
);

-- Rule packs already loaded: the default pack is loaded once, on the first start.
CREATE TABLE rule_packs (
    name      VARCHAR(100) PRIMARY KEY,
    loaded_at TIMESTAMPTZ  NOT NULL
);

-- State machine of one rule for one scope (JSON of ScopeState); idle states have no row.
CREATE TABLE rule_states (
    rule_id    VARCHAR(100) NOT NULL,
    scope_key  VARCHAR(400) NOT NULL,
    state      TEXT         NOT NULL,
    updated_at TIMESTAMPTZ  NOT NULL,
    PRIMARY KEY (rule_id, scope_key)
);

-- Next offset to evaluate per partition, written in the transaction that stores the states those records changed.
CREATE TABLE consumer_positions (
    topic        VARCHAR(200) NOT NULL,
    partition_no INT          NOT NULL,
    next_offset  BIGINT       NOT NULL,
    updated_at   TIMESTAMPTZ  NOT NULL,
    PRIMARY KEY (topic, partition_no)
);

-- One cohort's window of a flag waiting for the other cohort's window of the same interval (Avro bytes).
CREATE TABLE cohort_windows (
    flag_key     VARCHAR(200) NOT NULL,
    window_kind  VARCHAR(16)  NOT NULL,
    window_start BIGINT       NOT NULL,
    window_end   BIGINT       NOT NULL,
    cohort       VARCHAR(16)  NOT NULL,
    payload      BYTEA        NOT NULL,
    PRIMARY KEY (flag_key, window_kind, window_start, window_end, cohort)
);

-- Every alert transition; also the outbox of the alerts topic (published_at is null until Kafka acknowledged it).
-- seq orders the transitions and is the SSE event id.
CREATE TABLE alerts (
    seq          BIGSERIAL    PRIMARY KEY,
    alert_id     VARCHAR(64)  NOT NULL UNIQUE,
    fingerprint  VARCHAR(64)  NOT NULL,
    status       VARCHAR(16)  NOT NULL,
    severity     VARCHAR(16)  NOT NULL,
    rule_id      VARCHAR(100) NOT NULL,
    scope_key    VARCHAR(400) NOT NULL,
    flag_key     VARCHAR(200),
    starts_at    TIMESTAMPTZ  NOT NULL,
    ends_at      TIMESTAMPTZ,
    emitted_at   TIMESTAMPTZ  NOT NULL,
    payload_json TEXT         NOT NULL,
    payload_avro BYTEA        NOT NULL,
    published_at TIMESTAMPTZ
);
CREATE INDEX alerts_unpublished ON alerts (seq) WHERE published_at IS NULL;
CREATE INDEX alerts_by_fingerprint ON alerts (fingerprint, seq DESC);
CREATE INDEX alerts_by_emitted_at ON alerts (emitted_at);

CREATE TABLE webhooks (
    id         VARCHAR(64)   PRIMARY KEY,
    name       VARCHAR(200)  NOT NULL,
    url        VARCHAR(2000) NOT NULL,
    secret     VARCHAR(200)  NOT NULL,
    severities VARCHAR(64)   NOT NULL,
    enabled    BOOLEAN       NOT NULL,
    created_at TIMESTAMPTZ   NOT NULL,
    updated_at TIMESTAMPTZ   NOT NULL
);

-- One alert to one webhook, written with the alert; FAILED rows stay for inspection and redelivery.
CREATE TABLE webhook_deliveries (
    id               BIGSERIAL   PRIMARY KEY,
    webhook_id       VARCHAR(64) NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    alert_seq        BIGINT      NOT NULL REFERENCES alerts (seq),
    alert_id         VARCHAR(64) NOT NULL,
    status           VARCHAR(16) NOT NULL,
    attempts         INT         NOT NULL,
    last_status_code INT,
    last_error       TEXT,
    payload          TEXT        NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    delivered_at     TIMESTAMPTZ
);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (id) WHERE status = 'PENDING';
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, id DESC);
