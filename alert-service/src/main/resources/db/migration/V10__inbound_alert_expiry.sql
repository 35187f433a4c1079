-- When a firing alert received from outside expires: the endsAt its sender last gave (Prometheus sends every firing
-- alert again before it, with a later one). One row per fingerprint while the alert fires; a row whose time has
-- passed without a new copy is resolved by the expiry sweep, as an Alertmanager resolves an alert whose endsAt passed,
-- and kept with expired set, so that a firing copy valid ahead received after it is a new occurrence.
CREATE TABLE inbound_alert_expiry (
    fingerprint VARCHAR(64)  PRIMARY KEY,
    expires_at  TIMESTAMPTZ  NOT NULL,
    expired     BOOLEAN      NOT NULL DEFAULT false
);
CREATE INDEX inbound_alert_expiry_due ON inbound_alert_expiry (expires_at);
