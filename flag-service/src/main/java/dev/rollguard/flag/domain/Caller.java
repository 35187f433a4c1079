package dev.rollguard.flag.domain;

import java.time.Instant;
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
 * @param secretSetAt when the token's current secret was stored, or null when that is not known (a token stored
 *     before the time was recorded)
 */
public record Caller(
        UUID tokenId,
        String tokenName,
        TokenKind kind,
        Integer requestsPerSecond,
        String secretTag,
        Instant secretSetAt) {

    /** A caller whose secret's time is not known. */
    public Caller(UUID tokenId, String tokenName, TokenKind kind, Integer requestsPerSecond, String secretTag) {
        this(tokenId, tokenName, kind, requestsPerSecond, secretTag, null);
    }
}
