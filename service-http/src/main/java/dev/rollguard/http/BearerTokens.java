package dev.rollguard.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Collection;
import java.util.Optional;

/**
 * Bearer tokens as every Rollguard API reads them ({@code Authorization: Bearer <token>}, RFC 6750 section 2.1), and
 * their comparison with the configured tokens in constant time, so an answer's timing never tells how much of a
 * guessed token was right. The refusals use the same words in every service.
 */
public final class BearerTokens {

    /** Message of the 401 when a request carries no bearer token. */
    public static final String MISSING = "send a token as 'Authorization: Bearer <token>'";

    /** Message of the 401 when the token is none of the configured ones. */
    public static final String UNKNOWN = "unknown token";

    private static final String SCHEME = "Bearer ";

    private BearerTokens() {}

    /**
     * The token of an {@code Authorization} header value: the scheme is matched ignoring case and blanks around the
     * token are dropped. Null when the header is absent, names another scheme or carries no token.
     */
    public static String fromAuthorization(String header) {
        if (header == null || !header.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
            return null;
        }
        String token = header.substring(SCHEME.length()).strip();
        return token.isEmpty() ? null : token;
    }

    /**
     * Whether {@code presented} is {@code expected}, compared in constant time. An unset or blank expected token
     * accepts nothing, so a token left empty in the configuration never opens the API.
     */
    public static boolean matches(String expected, String presented) {
        if (expected == null || expected.isBlank() || presented == null) {
            return false;
        }
        return MessageDigest.isEqual(
                expected.getBytes(StandardCharsets.UTF_8), presented.getBytes(StandardCharsets.UTF_8));
    }

    /** {@link #matches(String, String)} for an optional configured token. */
    public static boolean matches(Optional<String> expected, String presented) {
        return expected.isPresent() && matches(expected.get(), presented);
    }

    /**
     * Whether {@code presented} is one of {@code expected}. Every configured token is compared, so the time does not
     * tell which one matched either.
     */
    public static boolean matchesAny(Collection<String> expected, String presented) {
        boolean found = false;
        for (String candidate : expected) {
            found |= matches(candidate, presented);
        }
        return found;
    }
}
