package dev.rollguard.flag.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.flag.domain.ApiToken;
import dev.rollguard.flag.domain.TokenKind;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The periodic refresh reads the token table on its own schedule; a revocation commits and then reloads. A refresh
 * that read the table just before the revocation committed and finishes after the revocation's reload must not put
 * the revoked token back until the next refresh.
 */
class TokenReloadOrderTest {

    private static ApiToken token(String name, String secret) {
        ApiToken token = new ApiToken();
        token.id = UUID.randomUUID();
        token.name = name;
        token.kind = TokenKind.CLIENT.name();
        token.tokenHash = TokenService.hash(secret);
        return token;
    }

    @Test
    void aReloadThatBeganBeforeARevocationDoesNotUndoIt() {
        TokenService service = new TokenService(null, null, null, null);
        ApiToken kept = token("kept", "kept-secret");
        ApiToken revoked = token("revoked", "revoked-secret");

        long refresh = service.beginReading(); // reads both tokens, before the revocation commits
        long afterRevocation = service.beginReading(); // reads the table without the revoked token
        assertThat(service.install(afterRevocation, List.of(kept))).isTrue();
        assertThat(service.install(refresh, List.of(kept, revoked)))
                .as("the older reading finishes last and is dropped")
                .isFalse();

        assertThat(service.authenticate("revoked-secret")).isEmpty();
        assertThat(service.authenticate("kept-secret")).isPresent();
        assertThat(service.active(revoked.id)).isEmpty();

        long next = service.beginReading();
        assertThat(service.install(next, List.of(kept))).isTrue();
    }
}
