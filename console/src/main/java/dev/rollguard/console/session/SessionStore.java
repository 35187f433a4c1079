package dev.rollguard.console.session;

import dev.rollguard.console.config.ConsoleConfig;
import io.quarkus.logging.Log;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.NewCookie;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Sessions kept by the browser, sealed: the cookie holds the session (the operator's token, its kind, the CSRF token,
 * when it began and was last used, the operator's name, whether the token's admin rights are still to be confirmed)
 * encrypted and authenticated with AES-256-GCM under a key derived (HMAC-SHA256) from
 * {@code console.session.secret}. Any console replica with the same secret accepts it; a cookie sealed with another
 * secret, or changed by one bit, is refused. The token stays unreadable to the browser and to anyone who copies the
 * cookie's value without the secret.
 *
 * <p>A session unused for {@code console.session.idle-timeout} ends; its cookie is resealed (and sent again) at most once
 * a minute while it is used. Signing out clears the browser's cookie; a copy of the cookie taken before stays valid
 * until it idles out, and changing the secret ends every session at once.
 */
@ApplicationScoped
public class SessionStore {

    public static final String COOKIE = "rollguard_session";

    /** The shortest secret accepted: 32 characters, e.g. {@code openssl rand -hex 32} gives 64. */
    static final int MIN_SECRET_LENGTH = 32;

    private static final String VERSION = "v1";
    private static final Duration RESEAL_AFTER = Duration.ofMinutes(1);
    private static final int IV_BYTES = 12;
    private static final int TAG_BITS = 128;
    /** The longest reason kept for a session whose admin rights are not confirmed, in UTF-8 bytes. */
    static final int MAX_REASON_BYTES = 300;

    private final SecureRandom random = new SecureRandom();
    private final SecretKeySpec key;
    private final Duration idleTimeout;
    private final boolean secureCookie;
    private final Duration adminRecheck;
    private final Clock clock;

    @Inject
    public SessionStore(ConsoleConfig config) {
        this(
                config.session().secret(),
                config.session().idleTimeout(),
                config.session().secureCookie(),
                config.session().adminRecheck(),
                Clock.systemUTC());
        if (config.session().secret().isEmpty()) {
            Log.info("console.session.secret is not set: sessions are sealed with a key of this start only, so they"
                    + " end when the console restarts and are not accepted by another replica");
        }
    }

    /** A store with these settings and the default 30 s before an unconfirmed session's admin rights are asked again. */
    public SessionStore(Optional<String> secret, Duration idleTimeout, boolean secureCookie, Clock clock) {
        this(secret, idleTimeout, secureCookie, Duration.ofSeconds(30), clock);
    }

    /** A store with these settings; the console's own is built from its configuration by the injected constructor. */
    public SessionStore(
            Optional<String> secret, Duration idleTimeout, boolean secureCookie, Duration adminRecheck, Clock clock) {
        this.key = new SecretKeySpec(deriveKey(secret.orElseGet(this::randomSecret)), "AES");
        this.idleTimeout = idleTimeout;
        this.secureCookie = secureCookie;
        this.adminRecheck = adminRecheck;
        this.clock = clock;
    }

    /** A new session without the operator's name; its {@link OperatorSession#id() id} is the cookie's value. */
    public OperatorSession open(String token, String tokenKind, boolean canWrite) {
        return open(token, tokenKind, canWrite, "");
    }

    /**
     * A new session of the operator named {@code operator} (one line; empty when not given); its
     * {@link OperatorSession#id() id} is the sealed value of the session cookie.
     */
    public OperatorSession open(String token, String tokenKind, boolean canWrite, String operator) {
        Instant now = clock.instant();
        return seal(token, tokenKind, canWrite, randomId(), now, now, operator == null ? "" : operator, "", null);
    }

    /**
     * A new read-only session of a token whose admin rights the flag-service could not confirm ({@code why}: no answer
     * in time, or its status). A page load after {@code console.session.admin-recheck} asks again
     * ({@link #recheckDue}).
     */
    public OperatorSession openUnconfirmed(String token, String operator, String why) {
        Instant now = clock.instant();
        return seal(
                token,
                "read-only",
                false,
                randomId(),
                now,
                now,
                operator == null ? "" : operator,
                reason(why),
                now.plus(adminRecheck));
    }

    /** Whether {@code session} waits for its admin rights to be confirmed and its back-off has passed. */
    public boolean recheckDue(OperatorSession session) {
        return session.unconfirmed() && !clock.instant().isBefore(session.recheckAt());
    }

    /**
     * The session once the flag-service has said what its token may do: admin, or read-only (a 403); the same CSRF
     * token, start and operator, so forms already shown still work.
     */
    public OperatorSession confirmed(OperatorSession session, boolean admin) {
        return seal(
                session.token(),
                admin ? "admin" : "read-only",
                admin,
                session.csrf(),
                session.since(),
                clock.instant(),
                session.operator(),
                "",
                null);
    }

    /** The session still read-only after another check that did not decide ({@code why}), asked again after the back-off. */
    public OperatorSession stillUnconfirmed(OperatorSession session, String why) {
        return stillUnconfirmed(session, why, clock.instant().plus(adminRecheck));
    }

    /**
     * The session still read-only after a check that did not decide ({@code why}), asked again at {@code recheckAt};
     * the same session when it says so already.
     */
    public OperatorSession stillUnconfirmed(OperatorSession session, String why, Instant recheckAt) {
        if (session.adminUnconfirmed().equals(reason(why)) && recheckAt.equals(session.recheckAt())) {
            return session;
        }
        Instant now = clock.instant();
        return seal(
                session.token(),
                session.tokenKind(),
                false,
                session.csrf(),
                session.since(),
                now,
                session.operator(),
                reason(why),
                recheckAt);
    }

    /**
     * The session a cookie holds, if it was sealed with this secret, is intact and has not idled out. When it was
     * last resealed more than a minute ago the session comes back resealed (another id): send it as the new cookie.
     */
    public Optional<OperatorSession> find(String cookie) {
        if (cookie == null || !cookie.startsWith(VERSION + ".")) {
            return Optional.empty();
        }
        String[] fields;
        try {
            byte[] sealed = Base64.getUrlDecoder().decode(cookie.substring(VERSION.length() + 1));
            if (sealed.length <= IV_BYTES) {
                return Optional.empty();
            }
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, sealed, 0, IV_BYTES));
            cipher.updateAAD(VERSION.getBytes(StandardCharsets.US_ASCII));
            byte[] plain = cipher.doFinal(sealed, IV_BYTES, sealed.length - IV_BYTES);
            fields = new String(plain, StandardCharsets.UTF_8).split("\n", -1);
        } catch (IllegalArgumentException | GeneralSecurityException notOurs) {
            // Not base64, sealed with another secret, or changed: no session.
            return Optional.empty();
        }
        // Six fields: a session sealed before sessions carried the operator's name; seven: before they carried the
        // admin check.
        if (fields.length != 6 && fields.length != 7 && fields.length != 9) {
            return Optional.empty();
        }
        Instant since = Instant.ofEpochMilli(Long.parseLong(fields[4]));
        Instant lastSeen = Instant.ofEpochMilli(Long.parseLong(fields[5]));
        Instant now = clock.instant();
        if (lastSeen.plus(idleTimeout).isBefore(now)) {
            return Optional.empty();
        }
        String token = fields[0];
        String kind = fields[1];
        boolean canWrite = Boolean.parseBoolean(fields[2]);
        String csrf = fields[3];
        String operator = fields.length >= 7 ? fields[6] : "";
        String unconfirmed = fields.length == 9 ? fields[7] : "";
        Instant recheckAt = unconfirmed.isEmpty() ? null : Instant.ofEpochMilli(Long.parseLong(fields[8]));
        if (lastSeen.plus(RESEAL_AFTER).isBefore(now)) {
            return Optional.of(seal(token, kind, canWrite, csrf, since, now, operator, unconfirmed, recheckAt));
        }
        return Optional.of(
                new OperatorSession(cookie, token, kind, canWrite, csrf, since, operator, unconfirmed, recheckAt));
    }

    /** The session cookie carrying {@code value} (empty with max age 0 clears it). */
    public NewCookie cookie(String value, int maxAge) {
        return new NewCookie.Builder(COOKIE)
                .value(value)
                .path("/")
                .httpOnly(true)
                .secure(secureCookie)
                .sameSite(NewCookie.SameSite.STRICT)
                .maxAge(maxAge)
                .build();
    }

    /** Constant-time comparison of a submitted CSRF token with the session's. */
    public static boolean csrfMatches(OperatorSession session, String submitted) {
        return submitted != null
                && MessageDigest.isEqual(
                        session.csrf().getBytes(StandardCharsets.UTF_8), submitted.getBytes(StandardCharsets.UTF_8));
    }

    private OperatorSession seal(
            String token,
            String kind,
            boolean canWrite,
            String csrf,
            Instant since,
            Instant lastSeen,
            String operator,
            String unconfirmed,
            Instant recheckAt) {
        String confirmedFields = String.join(
                "\n",
                token,
                kind,
                Boolean.toString(canWrite),
                csrf,
                Long.toString(since.toEpochMilli()),
                Long.toString(lastSeen.toEpochMilli()),
                operator);
        // A confirmed session keeps the seven fields that the release before the admin check reads too, so that a
        // rolling deploy signs nobody out; only a session still waiting for its admin check carries the two more.
        String plain = unconfirmed.isEmpty()
                ? confirmedFields
                : String.join(
                        "\n",
                        confirmedFields,
                        unconfirmed,
                        recheckAt == null ? "0" : Long.toString(recheckAt.toEpochMilli()));
        try {
            byte[] iv = new byte[IV_BYTES];
            random.nextBytes(iv);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, iv));
            cipher.updateAAD(VERSION.getBytes(StandardCharsets.US_ASCII));
            byte[] sealed = cipher.doFinal(plain.getBytes(StandardCharsets.UTF_8));
            byte[] value = ByteBuffer.allocate(IV_BYTES + sealed.length)
                    .put(iv)
                    .put(sealed)
                    .array();
            String id = VERSION + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(value);
            return new OperatorSession(id, token, kind, canWrite, csrf, since, operator, unconfirmed, recheckAt);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is part of every Java runtime", e);
        }
    }

    /**
     * {@code text} on one line: control characters (line breaks among them) become spaces. The fields are sealed one a
     * line, so a service's message with a line break in it stays one field; a log line that carries it cannot be made
     * to look like two.
     */
    public static String oneLine(String text) {
        return text == null ? "" : text.replaceAll("\\p{Cntrl}", " ").strip();
    }

    /**
     * The reason sealed into an unconfirmed session: one line of at most {@value #MAX_REASON_BYTES} UTF-8 bytes, a
     * longer one cut between characters and ended with an ellipsis, so that the cookie stays well under the 4 KB browsers keep, whatever script it is written
     * in.
     */
    static String reason(String why) {
        String line = oneLine(why);
        if (line.getBytes(StandardCharsets.UTF_8).length > MAX_REASON_BYTES) {
            // The ellipsis takes three bytes.
            int room = MAX_REASON_BYTES - 3;
            int bytes = 0;
            int end = 0;
            while (end < line.length()) {
                int cp = line.codePointAt(end);
                int size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
                if (bytes + size > room) {
                    break;
                }
                bytes += size;
                end += Character.charCount(cp);
            }
            line = line.substring(0, end) + "…";
        }
        return line.isEmpty() ? "no reason given" : line;
    }

    private static byte[] deriveKey(String secret) {
        if (secret.length() < MIN_SECRET_LENGTH) {
            throw new IllegalArgumentException("console.session.secret must have at least " + MIN_SECRET_LENGTH
                    + " characters (openssl rand -hex 32)");
        }
        try {
            Mac hmac = Mac.getInstance("HmacSHA256");
            hmac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return hmac.doFinal("rollguard console session v1".getBytes(StandardCharsets.US_ASCII));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
        }
    }

    private String randomSecret() {
        return randomId() + randomId();
    }

    private String randomId() {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
