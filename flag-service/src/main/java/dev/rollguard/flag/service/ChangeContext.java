package dev.rollguard.flag.service;

import dev.rollguard.flag.domain.Caller;

/**
 * Who asks for a change and how.
 *
 * @param caller the authenticated token
 * @param actor the person or system on whose behalf the token acts (the token name when not given)
 * @param idempotencyKey the request's Idempotency-Key, or null
 */
public record ChangeContext(Caller caller, String actor, String idempotencyKey) {}
