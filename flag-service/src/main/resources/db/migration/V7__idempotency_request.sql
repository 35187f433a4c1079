-- An Idempotency-Key answers only the request it was first sent with: the row keeps that request's method and
-- target (path and query) and the SHA-256 of its body, and the same key with another request is refused (422).
-- Rows stored before, and rows a pod of the previous version writes during a rolling update, have neither: they
-- replay as before, for whatever request names their key.
ALTER TABLE idempotency_keys ADD COLUMN request TEXT, ADD COLUMN body_sha256 CHAR(64);
