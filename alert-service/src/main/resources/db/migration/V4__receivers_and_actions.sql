-- Receiver kinds: a subscription is posted in the shape its receiver expects (generic: the Alertmanager webhook
-- body; slack, pagerduty, alertmanager). events: what it subscribes to, a comma-separated subset of alerts,actions.
-- routing_key: the PagerDuty integration key (a secret: the API never returns it in full).
ALTER TABLE webhooks
    ADD COLUMN kind        VARCHAR(16)  NOT NULL DEFAULT 'generic',
    ADD COLUMN events      VARCHAR(64)  NOT NULL DEFAULT 'alerts',
    ADD COLUMN routing_key VARCHAR(200);

-- A delivery now carries an alert notification (alert_seq, alert_id) or an automatic action (action_id); endpoint
-- names the receiver's endpoint when it has several (PagerDuty's change events), null for its main one.
ALTER TABLE webhook_deliveries
    ALTER COLUMN alert_seq DROP NOT NULL,
    ALTER COLUMN alert_id DROP NOT NULL,
    ADD COLUMN action_id VARCHAR(300),
    ADD COLUMN endpoint  VARCHAR(16);

-- Every automatic action notified, by source topic and action id, written in the transaction that queues its
-- deliveries: a record read twice (a redelivery, a rebalance, a second instance) is notified once.
CREATE TABLE notified_actions (
    topic      VARCHAR(100) NOT NULL,
    action_id  VARCHAR(300) NOT NULL,
    flag_key   VARCHAR(200),
    action     VARCHAR(32)  NOT NULL,
    created_at TIMESTAMPTZ  NOT NULL,
    PRIMARY KEY (topic, action_id)
);

-- Action records that could not be read or notified: the original key and bytes with the reason, for inspection.
CREATE TABLE action_dead_letters (
    id              BIGSERIAL    PRIMARY KEY,
    topic           VARCHAR(100) NOT NULL,
    topic_partition INT          NOT NULL,
    topic_offset    BIGINT       NOT NULL,
    record_key      TEXT,
    record_value    BYTEA,
    reason          TEXT         NOT NULL,
    created_at      TIMESTAMPTZ  NOT NULL,
    UNIQUE (topic, topic_partition, topic_offset)
);
