package dev.rollguard.flag.domain;

import java.util.UUID;

/**
 * Who is making a request.
 *
 * @param tokenId the token's id
 * @param tokenName the token's name, recorded in audit rows
 * @param kind what the token may do
 * @param requestsPerSecond the token's own evaluation rate, or null for the default
 * @param secretTag a digest of the token's stored hash: it changes when a bootstrap token is given another secret
 *     (its id stays), and stream tokens are bound to it; it is derived from the stored token alone, so every instance
 *     derives the same one
 */
public record Caller(UUID tokenId, String tokenName, TokenKind kind, Integer requestsPerSecond, String secretTag) {}
