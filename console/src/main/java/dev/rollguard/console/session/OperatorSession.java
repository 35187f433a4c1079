package dev.rollguard.console.session;

import java.time.Instant;

/**
 * A signed-in operator. The token stays on the server; the browser only holds the session id in an HTTP-only
 * cookie. {@code canWrite} is false for tokens that may read flags but not change them (service tokens).
 *
 * @param csrf the synchronizer token every form of this session must send back
 */
public record OperatorSession(
        String id, String token, String tokenKind, boolean canWrite, String csrf, Instant since) {}
