package dev.rollguard.flag.service;

import dev.rollguard.flag.config.FlagServiceConfig;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/** Tokens signed with a known secret, for tests that need one the service would not issue (expired ones). */
public final class StreamTokenFixtures {

    private StreamTokenFixtures() {}

    /**
     * {@code payload} ("scope|token id|expiry second|binding to the token's secret") signed as the service signs it
     * under {@code secret}.
     */
    public static String sign(String secret, String payload) {
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
        return new StreamTokens(id -> Optional.empty(), config, Clock.systemUTC()).signPayload(payload);
    }
}
