package dev.rollguard.flag.service;

import dev.rollguard.flag.config.FlagServiceConfig;
import dev.rollguard.flag.domain.Caller;
import io.quarkus.logging.Log;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signed tokens that open the change stream without an {@code Authorization} header, which a browser's
 * {@code EventSource} cannot send. OFREP's event-stream ADR (0008) lets the bulk evaluation advertise an opaque stream
 * URL that "may include authentication tokens"; this is that token.
 *
 * <p>A token is {@code v2.<payload>.<signature>}, both base64url: the payload names the scope (the change stream and
 * nothing else), the API token it was issued to (so revoking that token stops new streams at once), its expiry and
 * the binding to that API token's secret; the signature is HMAC-SHA256 of {@code v2.<payload>} under the configured
 * secret. Nothing is stored: any instance with the same secret checks it.
 *
 * <p>The binding is an HMAC, under the same key, of the API token's {@link Caller#secretTag()}, a digest of its
 * stored hash: a bootstrap token given another secret keeps its id, and without the binding the URLs issued under
 * the old secret (which may be what leaked) would still open streams. Every instance derives the binding from the
 * stored token, so a URL of an unchanged token opens streams on any instance and after a restart; the URL shows
 * neither the secret nor its hash.
 *
 * <p>The release before the binding issued {@code v1.<payload>.<signature>} tokens (scope, API token id, expiry).
 * Every browser reconnects with the URL it holds after an upgrade, and a 401 ends an {@code EventSource} for good, so
 * they are still accepted until they expire (at most one TTL after the upgrade), checked as that release checked
 * them: signature, scope, expiry and the API token still active, and two checks more: an expiry more than one TTL
 * ahead is refused (that release never issued one), and so is a token whose half-TTL issue window (the one that
 * ends half a TTL before its expiry) ended before its API token's current secret was set. They carry no binding: a
 * new secret of their API token set after their issue window refuses them at the next connect, and the streams they
 * opened end when the API token is revoked or the time its secret was set changes. Only {@code v2} tokens are
 * issued.
 *
 * <p>Expiry is rounded to half the TTL, so one API token gets the same URL for half a TTL on every instance (providers
 * keep their stream when the URL is unchanged) and every URL handed out is valid for at least half the TTL. The TTL is
 * long (a day by default): a provider reconnects to the URL it was given, and a 401 ends a browser's EventSource for
 * good. What keeps a long-lived URL safe is {@link #verify}, which every connect goes through (the change stream's
 * {@code AuthFilter}): it refuses the URL as soon as the API token it names is revoked or given another secret, and
 * the streams the URL opened end then too ({@code AuthFilter}, {@code FlagEventsResource}); they outlive its expiry,
 * which only refuses their reconnects.
 */
@ApplicationScoped
@Startup
public class StreamTokens {

    /** The one scope a stream token carries. */
    public static final String SCOPE = "ofrep-events";

    private static final String VERSION = "v2";
    /** The unbound tokens of the release before the binding, accepted until they expire. */
    private static final String UNBOUND_VERSION = "v1";
    /** Bytes of the binding's HMAC kept in the token: enough that another secret never matches by chance. */
    private static final int BINDING_BYTES = 12;

    private static final int MIN_SECRET_LENGTH = 32;
    private static final int MAX_TOKEN_LENGTH = 512;
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getUrlDecoder();

    /** What a presented token turned out to be. */
    public sealed interface Verdict {}

    /**
     * A valid token of an active API token. {@code bound}: the token is bound to the API token's secret (a {@code v2}
     * token), so a new secret ends its streams; an unbound {@code v1} token's streams end when the API token is revoked
     * or the time its secret was set ({@link Caller#secretSetAt()}) changes.
     */
    public record Accepted(Caller caller, boolean bound) implements Verdict {
        public Accepted(Caller caller) {
            this(caller, true);
        }
    }

    /**
     * Refused, with a message for the client that never repeats the token. {@code otherSecret}: the API token it names
     * holds another secret in this instance's token table than the one the token was issued under; a table that
     * another instance has installed and this one not yet (a URL of a new secret) may explain it.
     */
    public record Refused(String message, boolean otherSecret) implements Verdict {
        public Refused(String message) {
            this(message, false);
        }
    }

    /**
     * The token issued to an API token in one half-TTL window under one of its secrets, with the period the bulk ETag
     * holds: every bulk evaluation reads the period, and a 304 must not cost an HMAC.
     */
    private record Issued(long window, String secretTag, String token, String period) {}

    private final Function<UUID, Optional<Caller>> activeTokens;
    private final Clock clock;
    private final long halfTtlSeconds;
    private final long ttlSeconds;
    private final byte[] key;
    private final List<byte[]> accepted;
    private final String keyId;
    private final Map<UUID, Issued> issued = new ConcurrentHashMap<>();
    private final LongAdder macs = new LongAdder();
    private final LongAdder verifications = new LongAdder();

    @Inject
    public StreamTokens(TokenService tokens, FlagServiceConfig config) {
        this(tokens::active, config.streamTokens(), Clock.systemUTC());
        tokens.onInstall(this::forgetAllBut);
    }

    StreamTokens(Function<UUID, Optional<Caller>> activeTokens, FlagServiceConfig.StreamTokens config, Clock clock) {
        this.activeTokens = activeTokens;
        this.clock = clock;
        this.halfTtlSeconds = Math.max(1, config.ttl().toSeconds() / 2);
        this.ttlSeconds = Math.max(1, config.ttl().toSeconds());
        this.key = config.secret()
                .filter(s -> !s.isBlank())
                .map(StreamTokens::checked)
                .orElseGet(() -> {
                    Log.warn(
                            "flag-service.stream-tokens.secret (ROLLGUARD_STREAM_TOKEN_SECRET) is not set: stream URLs are"
                                    + " signed with a random key of this instance and fail on any other instance");
                    byte[] random = new byte[32];
                    new SecureRandom().nextBytes(random);
                    return random;
                });
        List<byte[]> keys = new ArrayList<>();
        keys.add(key);
        config.previousSecret()
                .filter(s -> !s.isBlank())
                .map(StreamTokens::checked)
                .ifPresent(keys::add);
        this.accepted = List.copyOf(keys);
        this.keyId = HexFormat.of().formatHex(hmac(key, "key-id"), 0, 4);
    }

    /**
     * The stream token for {@code caller} now: the same one for half a TTL, valid for at least that long, bound to the
     * secret {@code caller} authenticated with.
     */
    public String issue(Caller caller) {
        return issued(caller).token();
    }

    /**
     * What the URL issued to {@code caller} now depends on: the half-TTL period, the signing key and the binding to
     * the caller's secret. The bulk ETag includes it, so a client holding a URL that has expired (or whose key was
     * rotated, or whose API token was given another secret) gets a 200 with a new one, not a 304.
     */
    public String period(Caller caller) {
        return issued(caller).period();
    }

    /**
     * The token and period of {@code caller} now, computed once per API token, half-TTL window and secret, and kept
     * while the API token is in the installed token table ({@link #forgetAllBut}).
     */
    private Issued issued(Caller caller) {
        long window = window();
        Issued current = issued.get(caller.tokenId());
        if (current != null && current.window() == window && current.secretTag().equals(caller.secretTag())) {
            return current;
        }
        String binding = binding(key, caller.secretTag());
        String token =
                signPayload(SCOPE + "|" + caller.tokenId() + "|" + (window + 2) * halfTtlSeconds + "|" + binding);
        Issued now = new Issued(window, caller.secretTag(), token, window + keyId + "." + binding);
        issued.put(caller.tokenId(), now);
        return now;
    }

    /**
     * Drops what was issued to API tokens other than {@code activeIds}, the active tokens of the table just installed:
     * one entry per token ever used would otherwise stay for good. A token revoked while a request issued to it keeps
     * its entry until the next table installed (at the latest the next periodic reload).
     */
    void forgetAllBut(Set<UUID> activeIds) {
        issued.keySet().retainAll(activeIds);
    }

    /** Whether a token and period issued to the API token {@code tokenId} are kept, so a test can tell they go. */
    boolean holdsIssued(UUID tokenId) {
        return issued.containsKey(tokenId);
    }

    /** The HMACs computed so far, so a test can tell that a bulk evaluation costs none. */
    long macsComputed() {
        return macs.sum();
    }

    /** The tokens checked so far, so a test can tell that a connect checks its token once. */
    long verifications() {
        return verifications.sum();
    }

    long window() {
        return clock.instant().getEpochSecond() / halfTtlSeconds;
    }

    /** Signs any payload, so tests can make a well-signed token of another scope or shape. */
    String signPayload(String payloadText) {
        return signPayload(VERSION, payloadText);
    }

    /** Signs any payload as a token of {@code version}, so tests can make the tokens of the release before. */
    String signPayload(String version, String payloadText) {
        String payload = B64.encodeToString(payloadText.getBytes(StandardCharsets.UTF_8));
        String signed = version + "." + payload;
        return signed + "." + B64.encodeToString(hmac(key, signed));
    }

    /**
     * Checks signature, scope, expiry, that the API token it names is still active and, for a {@code v2} token, that
     * its secret is the one the stream token was issued under.
     */
    public Verdict verify(String token) {
        verifications.increment();
        if (token == null || token.isBlank() || token.length() > MAX_TOKEN_LENGTH) {
            return new Refused("the stream token is not valid");
        }
        int last = token.lastIndexOf('.');
        boolean bound = token.startsWith(VERSION + ".");
        if (!bound && !token.startsWith(UNBOUND_VERSION + ".") || last <= VERSION.length()) {
            return new Refused("the stream token is not valid");
        }
        String signed = token.substring(0, last);
        byte[] signature;
        String[] fields;
        try {
            signature = B64D.decode(token.substring(last + 1));
            fields = new String(B64D.decode(signed.substring(VERSION.length() + 1)), StandardCharsets.UTF_8)
                    .split("\\|", -1);
        } catch (IllegalArgumentException e) {
            return new Refused("the stream token is not valid");
        }
        Optional<byte[]> signedWith = accepted.stream()
                .filter(k -> MessageDigest.isEqual(hmac(k, signed), signature))
                .findFirst();
        if (signedWith.isEmpty()) {
            return new Refused("the stream token is not valid");
        }
        if (fields.length != (bound ? 4 : 3) || !SCOPE.equals(fields[0])) {
            return new Refused("the token does not open the change stream");
        }
        UUID tokenId;
        long expiresAt;
        try {
            tokenId = UUID.fromString(fields[1]);
            expiresAt = Long.parseLong(fields[2]);
        } catch (IllegalArgumentException e) {
            return new Refused("the stream token is not valid");
        }
        if (clock.instant().isAfter(Instant.ofEpochSecond(expiresAt))) {
            return new Refused("the stream token has expired: take the stream URL of a new bulk evaluation"
                    + " (POST /ofrep/v1/evaluate/flags)");
        }
        Optional<Caller> caller = activeTokens.apply(tokenId);
        if (caller.isEmpty()) {
            return new Refused("the token this stream URL was issued to is revoked");
        }
        if (!bound) {
            return unbound(caller.get(), expiresAt);
        }
        byte[] binding = fields[3].getBytes(StandardCharsets.UTF_8);
        byte[] current = binding(signedWith.get(), caller.get().secretTag()).getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(binding, current)) {
            return new Refused(
                    "the token this stream URL was issued to has been given another secret: take the stream URL of a"
                            + " new bulk evaluation (POST /ofrep/v1/evaluate/flags)",
                    true);
        }
        return new Accepted(caller.get());
    }

    /**
     * A {@code v1} token of an active API token: its expiry is at most one TTL ahead (what that release issued), and it
     * may have been issued after the API token's current secret was set (a bootstrap token given another secret, or
     * revoked and active again under a new one, keeps its id). That release issued in half-TTL windows, a token issued
     * in the window {@code [w, w + halfTtl)} expiring at {@code w + 2 * halfTtl}: the token is refused only when its
     * whole window, ending {@code halfTtl} before its expiry, lies before the secret was set. One issued in the window
     * in which the secret was set may be either side of it (a replica still on that release issuing it after a
     * rotation, the old secret's holder before), and is accepted. A secret whose time is not known (stored before it
     * was recorded) accepts the token.
     */
    private Verdict unbound(Caller caller, long expiresAt) {
        if (expiresAt - clock.instant().getEpochSecond() > ttlSeconds) {
            return new Refused("the stream token is not valid");
        }
        Instant setAt = caller.secretSetAt();
        if (setAt != null && !Instant.ofEpochSecond(expiresAt - halfTtlSeconds).isAfter(setAt)) {
            return new Refused("the token this stream URL was issued to has been given another secret: take the"
                    + " stream URL of a new bulk evaluation (POST /ofrep/v1/evaluate/flags)");
        }
        return new Accepted(caller, false);
    }

    /** The binding of a stream token to the API token secret whose {@link Caller#secretTag()} is given. */
    private String binding(byte[] key, String secretTag) {
        byte[] mac = hmac(key, "secret|" + secretTag);
        return B64.encodeToString(Arrays.copyOf(mac, BINDING_BYTES));
    }

    private static byte[] checked(String secret) {
        byte[] bytes = secret.strip().getBytes(StandardCharsets.UTF_8);
        if (bytes.length < MIN_SECRET_LENGTH) {
            throw new IllegalStateException("flag-service.stream-tokens secrets need at least " + MIN_SECRET_LENGTH
                    + " characters (openssl rand -base64 32)");
        }
        return bytes;
    }

    private byte[] hmac(byte[] key, String data) {
        macs.increment();
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is required of every JVM", e);
        }
    }
}
