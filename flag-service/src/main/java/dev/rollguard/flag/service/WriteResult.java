package dev.rollguard.flag.service;

/**
 * The answer to a write, as first given and as replayed for a repeated Idempotency-Key.
 *
 * @param status HTTP status
 * @param json response body
 * @param etag entity tag of the written resource (quoted), or null
 */
public record WriteResult(int status, String json, String etag) {}
