package dev.rollguard.flag.service;

import dev.rollguard.flag.config.FlagServiceConfig;
import dev.rollguard.flag.domain.Caller;
import dev.rollguard.flag.domain.TokenKind;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;

/** Tokens signed with a known secret, for tests that need one the service would not issue (expired ones). */
public final class StreamTokenFixtures {

    private StreamTokenFixtures() {}

    /**
     * {@code payload} ("scope|token id|expiry second|binding to the token's secret") signed as the service signs it
     * under {@code secret}.
     */
    public static String sign(String secret, String payload) {
        return tokens(secret).signPayload(payload);
    }

    /**
     * A token of the release before the binding: {@code v1}, payload "scope|token id|expiry second", signed as that
     * release signed it under {@code secret}.
     */
    public static String signUnbound(String secret, String payload) {
        return tokens(secret).signPayload("v1", payload);
    }

    /**
     * The stream token an instance signing under {@code secret} issues now to the API token {@code tokenId} stored
     * with {@code tokenHash}: what an instance that has installed a new secret of that token hands out.
     */
    public static String issue(String secret, UUID tokenId, String tokenHash) {
        return tokens(secret)
                .issue(new Caller(tokenId, "issued", TokenKind.CLIENT, null, TokenService.secretTag(tokenHash)));
    }

    private static StreamTokens tokens(String secret) {
        FlagServiceConfig.StreamTokens config = new FlagServiceConfig.StreamTokens() {
            @Override
            public Optional<String> secret() {
                return Optional.of(secret);
            }

            @Override
            public Optional<String> previousSecret() {
                return Optional.empty();
            }

            @Override
            public Duration ttl() {
                return Duration.ofMinutes(10);
            }
        };
        return new StreamTokens(id -> Optional.empty(), config, Clock.systemUTC());
    }
}
