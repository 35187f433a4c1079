-- A write's first answer is kept as what the write did (outcome) and the version it left, no longer as an HTTP
-- status and an ETag; the REST layer turns both into the same status and ETag when it replays them. Rows stored
-- before keep their answer: 201 was a creation, 204 a deletion, 200 a change or nothing to change (both answer 200).
--
-- Expand only: during a rolling update the previous version's pods still write and read status and etag, so both
-- stay, filled by this version too (IdempotencyRecord), and a row an older pod writes (no outcome) is read from
-- them. A later migration drops them once no pod of the previous version runs.
ALTER TABLE idempotency_keys ADD COLUMN outcome VARCHAR(16), ADD COLUMN version BIGINT;

UPDATE idempotency_keys
SET outcome = CASE status WHEN 201 THEN 'CREATED' WHEN 204 THEN 'DELETED' WHEN 200 THEN 'UPDATED' END,
    version = CAST(NULLIF(BTRIM(etag, '"'), '') AS BIGINT);
