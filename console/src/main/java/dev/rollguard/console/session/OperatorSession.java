package dev.rollguard.console.session;

import java.time.Instant;

/**
 * A signed-in operator. The browser holds the session sealed in an HTTP-only cookie ({@link SessionStore}): it can
 * neither read the token nor change anything in it. {@code canWrite} is false for tokens that may read flags but not
 * change them (service tokens), and for a token whose admin rights could not be confirmed yet.
 *
 * @param id the sealed session, the value of the session cookie
 * @param csrf the synchronizer token every form of this session must send back
 * @param operator the person signed in, as they gave their name at sign-in (one line, at most 200 characters); empty
 *     when they gave none. Writes name them to the services ({@code X-Rollguard-Actor}).
 * @param adminUnconfirmed empty when the flag-service has said what the token may do; else why it could not (no
 *     answer in time, its status), shown on every page while the session stays read-only
 * @param recheckAt when an unconfirmed session's next page load asks the flag-service again; null once confirmed
 */
public record OperatorSession(
        String id,
        String token,
        String tokenKind,
        boolean canWrite,
        String csrf,
        Instant since,
        String operator,
        String adminUnconfirmed,
        Instant recheckAt) {

    /** Whether the token's admin rights are still to be confirmed: read-only until a page load confirms them. */
    public boolean unconfirmed() {
        return !adminUnconfirmed.isEmpty();
    }
}
