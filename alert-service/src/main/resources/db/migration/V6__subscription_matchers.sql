-- Routing of alert notifications, as Alertmanager's routes match: a subscription is notified of an alert only when
-- the alert's labels match every one of its matchers (JSON list of {name, value, isRegex, isEqual}, the matchers of
-- silences); '[]' matches every alert. Its severities filter still applies.
ALTER TABLE webhooks ADD COLUMN matchers TEXT NOT NULL DEFAULT '[]';
