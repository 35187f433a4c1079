package dev.rollguard.flag.domain;

/**
 * What identifies a write sent with an Idempotency-Key, so the key replays only the request it was first sent with
 * (draft-ietf-httpapi-idempotency-key-header, "request fingerprint").
 *
 * @param request the method and target, path and query as sent ({@code POST /api/flags/checkout/kill})
 * @param bodySha256 hex SHA-256 of the body as sent (of no bytes when there is none)
 */
public record RequestFingerprint(String request, String bodySha256) {}
