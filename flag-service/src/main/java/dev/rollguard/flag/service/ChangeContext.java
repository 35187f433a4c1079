package dev.rollguard.flag.service;

import dev.rollguard.flag.domain.Caller;
import dev.rollguard.flag.domain.RequestFingerprint;

/**
 * Who asks for a change and how.
 *
 * @param caller the authenticated token
 * @param actor the person or system on whose behalf the token acts (the token name when not given)
 * @param idempotencyKey the request's Idempotency-Key, or null
 * @param requestId the request's X-Request-Id (the caller's or a new one), kept in the audit row; null outside HTTP
 * @param traceId the request's W3C trace id, kept in the audit row; null outside HTTP
 * @param fingerprint the request an Idempotency-Key is kept for; null outside HTTP
 */
public record ChangeContext(
        Caller caller,
        String actor,
        String idempotencyKey,
        String requestId,
        String traceId,
        RequestFingerprint fingerprint) {

    /** A change without request or trace ids. */
    public ChangeContext(Caller caller, String actor, String idempotencyKey) {
        this(caller, actor, idempotencyKey, null, null, null);
    }
}
