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

    @Test
    void aReloadThatReadsTheSameTableSignalsNoStream() {
        TokenService service = new TokenService(null, null, null, null);
        ApiToken kept = token("kept", "kept-secret");
        ApiToken other = token("other", "other-secret");

        assertThat(service.install(service.beginReading(), List.of(kept, other)))
                .isTrue();
        assertThat(service.signalsSent()).as("the first table").isEqualTo(1);

        for (int i = 0; i < 5; i++) {
            assertThat(service.install(service.beginReading(), List.of(kept, other)))
                    .isTrue();
        }
        assertThat(service.signalsSent()).as("the same table read again").isEqualTo(1);

        assertThat(service.install(service.beginReading(), List.of(kept))).isTrue();
        assertThat(service.signalsSent()).as("a revocation").isEqualTo(2);

        other.tokenHash = TokenService.hash("other-new-secret");
        assertThat(service.install(service.beginReading(), List.of(kept, other)))
                .isTrue();
        assertThat(service.signalsSent()).as("a token active again").isEqualTo(3);

        ApiToken rotated = token("other", "other-rotated-secret");
        rotated.id = other.id;
        assertThat(service.install(service.beginReading(), List.of(kept, rotated)))
                .isTrue();
        assertThat(service.signalsSent()).as("another secret under the same id").isEqualTo(4);
    }
}
