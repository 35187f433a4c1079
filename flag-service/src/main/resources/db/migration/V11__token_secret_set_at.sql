-- When a token's hash was last given a new value: a stream URL of the release before the binding to the secret
-- (v1) issued before then no longer opens streams. Null for the tokens stored before this column, whose time is not
-- known. A nullable column without a default is a catalog change only; the lock it needs is waited for at most 10 s.
SET LOCAL lock_timeout = '10s';
ALTER TABLE api_tokens ADD COLUMN secret_set_at TIMESTAMPTZ;
