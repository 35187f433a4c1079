package dev.rollguard.flag.domain;

import java.util.UUID;

/**
 * Who is making a request.
 *
 * @param tokenId the token's id
 * @param tokenName the token's name, recorded in audit rows
 * @param kind what the token may do
 * @param requestsPerSecond the token's own evaluation rate, or null for the default
 */
public record Caller(UUID tokenId, String tokenName, TokenKind kind, Integer requestsPerSecond) {}
