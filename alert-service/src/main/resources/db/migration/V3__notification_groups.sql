-- Grouping of webhook notifications, as Alertmanager groups them: alerts with the same values of a webhook's
-- group_by labels go out together; durations in milliseconds. group_by is a comma-separated list of label names
-- (empty: every alert in one group).
ALTER TABLE webhooks
    ADD COLUMN group_by           VARCHAR(2000) NOT NULL DEFAULT 'rule_id,severity,flag',
    ADD COLUMN group_wait_ms      BIGINT        NOT NULL DEFAULT 10000,
    ADD COLUMN group_interval_ms  BIGINT        NOT NULL DEFAULT 60000,
    ADD COLUMN repeat_interval_ms BIGINT        NOT NULL DEFAULT 14400000;

-- One group of one webhook. group_id is the hex SHA-256 of group_key (which can be longer than an index entry).
-- dirty: alerts changed since the last notification. next_flush_at: when the group is looked at next (first after
-- group wait, then every group interval); rows are locked while flushed (FOR UPDATE SKIP LOCKED), so several
-- instances never flush one group twice.
CREATE TABLE notification_groups (
    webhook_id       VARCHAR(64) NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    group_id         VARCHAR(64) NOT NULL,
    group_key        TEXT        NOT NULL,
    group_labels     TEXT        NOT NULL,
    dirty            BOOLEAN     NOT NULL,
    next_flush_at    TIMESTAMPTZ NOT NULL,
    last_notified_at TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (webhook_id, group_id)
);
CREATE INDEX notification_groups_due ON notification_groups (next_flush_at);

-- The latest transition of each alert of a group (its webhook payload element, JSON), written with the alert;
-- a resolved alert is forgotten once a notification carried its resolution.
CREATE TABLE notification_group_alerts (
    webhook_id  VARCHAR(64) NOT NULL,
    group_id    VARCHAR(64) NOT NULL,
    fingerprint VARCHAR(64) NOT NULL,
    alert_seq   BIGINT      NOT NULL,
    alert_id    VARCHAR(64) NOT NULL,
    firing      BOOLEAN     NOT NULL,
    alert       TEXT        NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (webhook_id, group_id, fingerprint),
    FOREIGN KEY (webhook_id, group_id) REFERENCES notification_groups (webhook_id, group_id) ON DELETE CASCADE
);

-- A delivery is now one notification of a group; alert_seq and alert_id name the newest transition it carries.
ALTER TABLE webhook_deliveries ADD COLUMN group_key TEXT;
