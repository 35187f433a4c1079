package dev.rollguard.flag.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollguard.flag.config.FlagServiceConfig;
import dev.rollguard.flag.domain.Caller;
import dev.rollguard.flag.domain.TokenKind;
import io.quarkus.runtime.configuration.DurationConverter;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Issuing and checking stream tokens: signature, scope, expiry, revocation, a new secret, key rotation. */
class StreamTokensTest {

    private static final String SECRET = "a-secret-of-at-least-thirty-two-characters";
    private static final String OTHER_SECRET = "another-secret-of-at-least-thirty-two-chars";

    private final Caller client = caller("web-app", TokenKind.CLIENT, "rg_the-client-secret");
    private final Map<UUID, Caller> active = new HashMap<>(Map.of(client.tokenId(), client));
    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-02T10:00:00Z"));

    private StreamTokens tokens(String secret, String previous) {
        return new StreamTokens(
                id -> Optional.ofNullable(active.get(id)), config(secret, previous, Duration.ofMinutes(10)), clock);
    }

    @Test
    void anIssuedTokenOpensTheStreamAsItsApiToken() {
        StreamTokens tokens = tokens(SECRET, null);
        String token = tokens.issue(client);

        assertThat(token).startsWith("v2.").doesNotContain(SECRET);
        // The payload is base64url: what it shows is what it decodes to.
        String payload = new String(Base64.getUrlDecoder().decode(token.split("\\.")[1]), StandardCharsets.UTF_8);
        assertThat(payload)
                .startsWith("ofrep-events|" + client.tokenId() + "|")
                .doesNotContain(SECRET)
                .doesNotContain("rg_the-client-secret")
                .doesNotContain(client.secretTag())
                .doesNotContain(TokenService.hash("rg_the-client-secret"));
        assertThat(payload.split("\\|")).hasSize(4);
        assertThat(tokens.verify(token)).isEqualTo(new StreamTokens.Accepted(client));
    }

    @Test
    void aBulkEvaluationReadsThePeriodAndTheUrlWithoutComputingAnHmac() {
        StreamTokens tokens = tokens(SECRET, null);
        String period = tokens.period(client);
        String url = tokens.issue(client);
        long macs = tokens.macsComputed();

        // What every bulk evaluation asks, 304s included, within one half TTL.
        for (int i = 0; i < 1_000; i++) {
            assertThat(tokens.period(client)).isEqualTo(period);
            assertThat(tokens.issue(client)).isEqualTo(url);
        }
        assertThat(tokens.macsComputed()).isEqualTo(macs);

        // A new window, or a new secret, computes them once more, once.
        clock.set(clock.instant().plus(Duration.ofMinutes(5)));
        String next = tokens.period(client);
        assertThat(next).isNotEqualTo(period);
        long afterWindow = tokens.macsComputed();
        assertThat(afterWindow).isGreaterThan(macs);
        for (int i = 0; i < 1_000; i++) {
            tokens.period(client);
            tokens.issue(client);
        }
        assertThat(tokens.macsComputed()).isEqualTo(afterWindow);
    }

    @Test
    void oneApiTokenGetsOneUrlPerHalfTtlValidForAtLeastHalfATtl() {
        StreamTokens tokens = tokens(SECRET, null);
        clock.set(Instant.parse("2026-12-02T10:00:01Z"));
        String first = tokens.issue(client);
        long window = tokens.window();
        clock.set(Instant.parse("2026-12-02T10:04:59Z"));
        assertThat(tokens.issue(client)).isEqualTo(first);
        assertThat(tokens.window()).isEqualTo(window);

        clock.set(Instant.parse("2026-12-02T10:05:00Z"));
        String second = tokens.issue(client);
        assertThat(second).isNotEqualTo(first);
        assertThat(tokens.window()).isEqualTo(window + 1);
        assertThat(tokens.period(client)).startsWith(Long.toString(window + 1));

        // Issued at 10:04:59 at the latest, the first token lives until 10:10:00.
        clock.set(Instant.parse("2026-12-02T10:10:00Z"));
        assertThat(tokens.verify(first)).isInstanceOf(StreamTokens.Accepted.class);
        clock.set(Instant.parse("2026-12-02T10:10:01Z"));
        assertThat(tokens.verify(first))
                .isEqualTo(new StreamTokens.Refused(
                        "the stream token has expired: take the stream URL of a new bulk evaluation"
                                + " (POST /ofrep/v1/evaluate/flags)"));
        assertThat(tokens.verify(second)).isInstanceOf(StreamTokens.Accepted.class);
        clock.set(Instant.parse("2026-12-02T10:15:01Z"));
        assertThat(tokens.verify(second)).isInstanceOf(StreamTokens.Refused.class);
    }

    @Test
    void withTheDefaultTtlAUrlStillOpensTheStreamWhenAProviderReconnectsHoursLaterUnlessItsTokenIsRevoked() {
        StreamTokens tokens = new StreamTokens(
                id -> Optional.ofNullable(active.get(id)),
                config(SECRET, null, DurationConverter.parseDuration(FlagServiceConfig.StreamTokens.DEFAULT_TTL)),
                clock);
        // Issued at the worst moment: the last second of its half-TTL window.
        clock.set(Instant.parse("2026-12-02T11:59:59Z"));
        String url = tokens.issue(client);

        // EventSource reconnects to the same URL: a tab shown again, the network back, a rolling deploy.
        for (Duration later : new Duration[] {
            Duration.ofMinutes(15),
            Duration.ofHours(1),
            Duration.ofHours(8),
            Duration.ofHours(12).minusSeconds(1)
        }) {
            clock.set(Instant.parse("2026-12-02T11:59:59Z").plus(later));
            assertThat(tokens.verify(url)).as("reconnect %s later", later).isEqualTo(new StreamTokens.Accepted(client));
        }
        // A URL rotates twice a day, so the bulk ETag (which holds the period) does not churn.
        clock.set(Instant.parse("2026-12-02T12:00:00Z"));
        String period = tokens.period(client);
        clock.set(Instant.parse("2026-12-02T23:59:59Z"));
        assertThat(tokens.period(client)).isEqualTo(period);

        active.remove(client.tokenId());
        assertThat(tokens.verify(url)).isEqualTo(refused("the token this stream URL was issued to is revoked"));
    }

    @Test
    void anInstanceWithTheSameSecretIssuesAndAcceptsTheSameToken() {
        String token = tokens(SECRET, null).issue(client);

        assertThat(tokens(SECRET, null).issue(client)).isEqualTo(token);
        assertThat(tokens(SECRET, null).verify(token)).isInstanceOf(StreamTokens.Accepted.class);
        assertThat(tokens(OTHER_SECRET, null).verify(token)).isEqualTo(refused("the stream token is not valid"));
    }

    @Test
    void aTamperedTokenIsRefused() {
        StreamTokens tokens = tokens(SECRET, null);
        String token = tokens.issue(client);
        String[] parts = token.split("\\.");
        Caller admin = caller("admin", TokenKind.ADMIN, "rg_the-admin-secret");
        active.put(admin.tokenId(), admin);
        String binding = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8).split("\\|")[3];
        String otherIdentity = Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(("ofrep-events|" + admin.tokenId() + "|9999999999|" + binding)
                        .getBytes(StandardCharsets.UTF_8));

        assertThat(tokens.verify(parts[0] + "." + otherIdentity + "." + parts[2]))
                .isEqualTo(refused("the stream token is not valid"));
        assertThat(tokens.verify(token.substring(0, token.length() - 2)
                        + flip(token.charAt(token.length() - 2))
                        + token.charAt(token.length() - 1)))
                .isEqualTo(refused("the stream token is not valid"));
        assertThat(tokens.verify(parts[0] + "." + parts[1])).isEqualTo(refused("the stream token is not valid"));
        assertThat(tokens.verify("v3." + parts[1] + "." + parts[2]))
                .isEqualTo(refused("the stream token is not valid"));
        // Labelled as a token of the release before: the signature covers the version.
        assertThat(tokens.verify("v1." + parts[1] + "." + parts[2]))
                .isEqualTo(refused("the stream token is not valid"));
        assertThat(tokens.verify(token + "x")).isEqualTo(refused("the stream token is not valid"));
        assertThat(tokens.verify("")).isEqualTo(refused("the stream token is not valid"));
        assertThat(tokens.verify("v1.%%%.###")).isEqualTo(refused("the stream token is not valid"));
        assertThat(tokens.verify("v1." + "A".repeat(600) + ".AAAA"))
                .isEqualTo(refused("the stream token is not valid"));
    }

    @Test
    void aWellSignedTokenOfAnotherScopeOrShapeIsRefused() {
        StreamTokens tokens = tokens(SECRET, null);

        assertThat(tokens.verify(tokens.signPayload("admin-api|" + client.tokenId() + "|9999999999")))
                .isEqualTo(refused("the token does not open the change stream"));
        assertThat(tokens.verify(tokens.signPayload("ofrep-events|" + client.tokenId())))
                .isEqualTo(refused("the token does not open the change stream"));
        assertThat(tokens.verify(tokens.signPayload("ofrep-events|not-a-uuid|9999999999|AAAA")))
                .isEqualTo(refused("the stream token is not valid"));
    }

    @Test
    void revokingTheApiTokenStopsNewStreams() {
        StreamTokens tokens = tokens(SECRET, null);
        String token = tokens.issue(client);
        active.remove(client.tokenId());

        assertThat(tokens.verify(token)).isEqualTo(refused("the token this stream URL was issued to is revoked"));
    }

    @Test
    void aNewSecretOfTheApiTokenRefusesTheUrlsIssuedUnderTheOldOneAndOnlyThose() {
        StreamTokens tokens = tokens(SECRET, null);
        Caller other = caller("other-app", TokenKind.CLIENT, "rg_the-other-secret");
        active.put(other.tokenId(), other);
        String oldUrl = tokens.issue(client);
        String otherUrl = tokens.issue(other);
        String oldPeriod = tokens.period(client);

        // A bootstrap token given another secret: same id, same name, another stored hash.
        Caller rotated = new Caller(
                client.tokenId(),
                client.tokenName(),
                client.kind(),
                null,
                TokenService.secretTag(TokenService.hash("rg_the-new-client-secret")));
        active.put(client.tokenId(), rotated);

        // Marked as possibly explained by a table this instance has not loaded yet: it reloads once before refusing.
        assertThat(tokens.verify(oldUrl))
                .isEqualTo(new StreamTokens.Refused(
                        "the token this stream URL was issued to has been given another secret: take the"
                                + " stream URL of a new bulk evaluation (POST /ofrep/v1/evaluate/flags)",
                        true));
        assertThat(tokens.verify(otherUrl)).isEqualTo(new StreamTokens.Accepted(other));
        // Within the same half TTL: the holder of the new secret gets a new URL, and a bulk ETag that says so.
        String newUrl = tokens.issue(rotated);
        assertThat(newUrl).isNotEqualTo(oldUrl);
        assertThat(tokens.verify(newUrl)).isEqualTo(new StreamTokens.Accepted(rotated));
        assertThat(tokens.period(rotated)).isNotEqualTo(oldPeriod);
        // Another instance (or this one after a restart) derives the same binding from the stored token.
        assertThat(tokens(SECRET, null).verify(newUrl)).isEqualTo(new StreamTokens.Accepted(rotated));
        assertThat(tokens(SECRET, null).verify(otherUrl)).isEqualTo(new StreamTokens.Accepted(other));
        assertThat(tokens(SECRET, null).verify(oldUrl)).isInstanceOf(StreamTokens.Refused.class);
        // A caller that authenticated with the old secret just before the new one was installed gets a URL that
        // opens nothing.
        assertThat(tokens.verify(tokens.issue(client))).isInstanceOf(StreamTokens.Refused.class);
    }

    @Test
    void aTokenOfTheReleaseBeforeTheBindingOpensTheStreamUntilItsExpiryUnboundToTheSecret() {
        StreamTokens tokens = tokens(SECRET, null);
        // What the release before the binding issued: v1, scope, API token id and expiry, under the same key.
        long expiry = Instant.parse("2026-12-02T10:10:00Z").getEpochSecond();
        String earlier = tokens.signPayload("v1", "ofrep-events|" + client.tokenId() + "|" + expiry);

        assertThat(tokens.verify(earlier)).isEqualTo(new StreamTokens.Accepted(client, false));
        // No binding: a new secret whose time is not known (stored before it was recorded) does not refuse it.
        Caller rotated = new Caller(
                client.tokenId(),
                client.tokenName(),
                client.kind(),
                null,
                TokenService.secretTag(TokenService.hash("rg_the-new-client-secret")));
        active.put(client.tokenId(), rotated);
        assertThat(tokens.verify(earlier)).isEqualTo(new StreamTokens.Accepted(rotated, false));
        // A v2 token of the old secret is refused.
        active.put(client.tokenId(), client);
        String bound = tokens.issue(client);
        active.put(client.tokenId(), rotated);
        assertThat(tokens.verify(bound)).isInstanceOf(StreamTokens.Refused.class);

        clock.set(Instant.ofEpochSecond(expiry));
        assertThat(tokens.verify(earlier)).isInstanceOf(StreamTokens.Accepted.class);
        clock.set(Instant.ofEpochSecond(expiry + 1));
        assertThat(tokens.verify(earlier))
                .isEqualTo(refused("the stream token has expired: take the stream URL of a new bulk evaluation"
                        + " (POST /ofrep/v1/evaluate/flags)"));
        clock.set(Instant.ofEpochSecond(expiry - 1));
        active.remove(client.tokenId());
        assertThat(tokens.verify(earlier)).isEqualTo(refused("the token this stream URL was issued to is revoked"));

        // Each version has its own shape.
        assertThat(tokens.verify(tokens.signPayload("v1", "ofrep-events|" + client.tokenId() + "|9999999999|AAAA")))
                .isEqualTo(refused("the token does not open the change stream"));
        assertThat(tokens.verify(tokens.signPayload("ofrep-events|" + client.tokenId() + "|9999999999")))
                .isEqualTo(refused("the token does not open the change stream"));
        assertThat(tokens.verify(tokens.signPayload("v1", "admin-api|" + client.tokenId() + "|9999999999")))
                .isEqualTo(refused("the token does not open the change stream"));
        assertThat(tokens(OTHER_SECRET, null)
                        .verify(tokens.signPayload("v1", "ofrep-events|" + client.tokenId() + "|9999999999")))
                .isEqualTo(refused("the stream token is not valid"));
    }

    @Test
    void aTokenOfTheReleaseBeforeTheBindingWithAnExpiryBeyondOneTtlIsRefused() {
        StreamTokens tokens = tokens(SECRET, null);
        long now = clock.instant().getEpochSecond();
        String withinTtl = tokens.signPayload("v1", "ofrep-events|" + client.tokenId() + "|" + (now + 600));
        String beyondTtl = tokens.signPayload("v1", "ofrep-events|" + client.tokenId() + "|" + (now + 601));
        String farAhead = tokens.signPayload("v1", "ofrep-events|" + client.tokenId() + "|9999999999");

        assertThat(tokens.verify(withinTtl)).isEqualTo(new StreamTokens.Accepted(client, false));
        assertThat(tokens.verify(beyondTtl)).isEqualTo(refused("the stream token is not valid"));
        assertThat(tokens.verify(farAhead)).isEqualTo(refused("the stream token is not valid"));
    }

    @Test
    void aTokenOfTheReleaseBeforeTheBindingIsRefusedOnlyWhenItsWholeIssueWindowEndedBeforeItsSecretWasSet() {
        StreamTokens tokens = tokens(SECRET, null);
        clock.set(Instant.parse("2026-12-02T10:04:00Z"));
        // That release issued in half-TTL windows (5 min here), expiring one TTL after the window began: the window
        // [10:00, 10:05) expires at 10:10, the window [09:55, 10:00) at 10:05.
        String ofThisWindow = tokens.signPayload(
                "v1",
                "ofrep-events|" + client.tokenId() + "|"
                        + Instant.parse("2026-12-02T10:10:00Z").getEpochSecond());
        String ofTheWindowBefore = tokens.signPayload(
                "v1",
                "ofrep-events|" + client.tokenId() + "|"
                        + Instant.parse("2026-12-02T10:05:00Z").getEpochSecond());

        Caller unchanged = withSecretSetAt(client, Instant.parse("2026-12-02T09:00:00Z"));
        active.put(client.tokenId(), unchanged);
        assertThat(tokens.verify(ofThisWindow)).isEqualTo(new StreamTokens.Accepted(unchanged, false));
        assertThat(tokens.verify(ofTheWindowBefore)).isEqualTo(new StreamTokens.Accepted(unchanged, false));

        // A new secret set at 10:02: a replica still on that release may have issued the token of the window that
        // began before and ended after it under the new secret; the window before ended before it.
        Caller rotated = new Caller(
                client.tokenId(),
                client.tokenName(),
                client.kind(),
                null,
                TokenService.secretTag(TokenService.hash("rg_the-new-client-secret")),
                Instant.parse("2026-12-02T10:02:00Z"));
        active.put(client.tokenId(), rotated);
        assertThat(tokens.verify(ofThisWindow)).isEqualTo(new StreamTokens.Accepted(rotated, false));
        assertThat(tokens.verify(ofTheWindowBefore))
                .isEqualTo(refused("the token this stream URL was issued to has been given another secret: take the"
                        + " stream URL of a new bulk evaluation (POST /ofrep/v1/evaluate/flags)"));

        // Set in the last instant of the window: still accepted; set as the window ends: every issue was before it.
        clock.set(Instant.parse("2026-12-02T10:06:30Z"));
        active.put(client.tokenId(), withSecretSetAt(client, Instant.parse("2026-12-02T10:04:59.999Z")));
        assertThat(tokens.verify(ofThisWindow)).isInstanceOf(StreamTokens.Accepted.class);
        active.put(client.tokenId(), withSecretSetAt(client, Instant.parse("2026-12-02T10:05:00Z")));
        assertThat(tokens.verify(ofThisWindow)).isInstanceOf(StreamTokens.Refused.class);

        // Revoked and active again under a new secret after the window: the same id, a later secret.
        Caller reactivated = withSecretSetAt(client, Instant.parse("2026-12-02T10:06:00Z"));
        active.put(client.tokenId(), reactivated);
        assertThat(tokens.verify(ofThisWindow)).isInstanceOf(StreamTokens.Refused.class);
    }

    private static Caller withSecretSetAt(Caller caller, Instant setAt) {
        return new Caller(
                caller.tokenId(),
                caller.tokenName(),
                caller.kind(),
                caller.requestsPerSecond(),
                caller.secretTag(),
                setAt);
    }

    @Test
    void afterARotationTheTokensOfThePreviousSecretStillOpenTheStream() {
        String old = tokens(SECRET, null).issue(client);
        StreamTokens rotated = tokens(OTHER_SECRET, SECRET);

        assertThat(rotated.verify(old)).isInstanceOf(StreamTokens.Accepted.class);
        assertThat(rotated.issue(client)).isNotEqualTo(old);
        assertThat(rotated.period(client)).isNotEqualTo(tokens(SECRET, null).period(client));
        assertThat(tokens(SECRET, null).period(client))
                .isEqualTo(tokens(SECRET, null).period(client));
        assertThat(tokens(OTHER_SECRET, null).verify(old)).isInstanceOf(StreamTokens.Refused.class);
    }

    @Test
    void aShortSecretStopsTheStartAndNoSecretMeansARandomKeyOfThisInstance() {
        assertThatThrownBy(() -> tokens("too-short", null))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("at least 32 characters");
        assertThatThrownBy(() -> tokens(SECRET, "too-short")).isInstanceOf(IllegalStateException.class);

        StreamTokens one = tokens(null, null);
        StreamTokens two = tokens(null, null);
        String token = one.issue(client);
        assertThat(one.verify(token)).isInstanceOf(StreamTokens.Accepted.class);
        assertThat(two.verify(token)).isInstanceOf(StreamTokens.Refused.class);
    }

    /** A caller as the token table holds it for a token stored with {@code secret}. */
    private static Caller caller(String name, TokenKind kind, String secret) {
        return new Caller(UUID.randomUUID(), name, kind, null, TokenService.secretTag(TokenService.hash(secret)));
    }

    private static StreamTokens.Refused refused(String message) {
        return new StreamTokens.Refused(message);
    }

    private static char flip(char c) {
        return c == 'A' ? 'B' : 'A';
    }

    private static FlagServiceConfig.StreamTokens config(String secret, String previous, Duration ttl) {
        return new FlagServiceConfig.StreamTokens() {
            @Override
            public Optional<String> secret() {
                return Optional.ofNullable(secret);
            }

            @Override
            public Optional<String> previousSecret() {
                return Optional.ofNullable(previous);
            }

            @Override
            public Duration ttl() {
                return ttl;
            }
        };
    }

    private static final class MutableClock extends Clock {
        private Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        void set(Instant instant) {
            now = instant;
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }
}
