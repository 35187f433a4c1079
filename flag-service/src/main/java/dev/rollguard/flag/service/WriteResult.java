package dev.rollguard.flag.service;

import dev.rollguard.flag.domain.WriteOutcome;

/**
 * The answer to a write, as first given and as replayed for a repeated Idempotency-Key.
 *
 * @param outcome what the write did
 * @param json the resource as the write left it, as JSON
 * @param version the resource's version after the write, or null (a deletion)
 */
public record WriteResult(WriteOutcome outcome, String json, Long version) {}
