package dev.rollguard.console.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Sessions sealed into the cookie: what one console replica opens, another with the same secret accepts, and nothing
 * else does.
 */
class SessionStoreTest {

    private static final String SECRET = "0123456789abcdef0123456789abcdef-shared";
    private static final Instant T0 = Instant.parse("2026-12-02T10:00:00Z");

    @Test
    void aSessionOpenedOnOneReplicaIsAcceptedByAnotherWithTheSameSecret() {
        SessionStore replicaA = store(SECRET, T0);
        SessionStore replicaB = store(SECRET, T0.plusSeconds(5));

        OperatorSession opened = replicaA.open("rg_admin_abc", "admin", true);
        Optional<OperatorSession> found = replicaB.find(opened.id());

        assertThat(found).hasValueSatisfying(s -> {
            assertThat(s.token()).isEqualTo("rg_admin_abc");
            assertThat(s.tokenKind()).isEqualTo("admin");
            assertThat(s.canWrite()).isTrue();
            assertThat(s.csrf()).isEqualTo(opened.csrf()).hasSizeGreaterThanOrEqualTo(43);
            assertThat(s.since()).isEqualTo(T0);
        });
    }

    @Test
    void anotherSecretATamperedCookieOrGarbageOpensNothing() {
        OperatorSession opened = store(SECRET, T0).open("rg_admin_abc", "admin", true);
        SessionStore same = store(SECRET, T0);

        assertThat(store("another-secret-of-at-least-32-characters", T0).find(opened.id()))
                .isEmpty();
        byte[] sealed = Base64.getUrlDecoder().decode(opened.id().substring(3));
        for (int i : new int[] {0, 20, sealed.length - 1}) {
            byte[] changed = sealed.clone();
            changed[i] ^= 1;
            assertThat(same.find("v1." + Base64.getUrlEncoder().withoutPadding().encodeToString(changed)))
                    .as("bit flipped at byte %d", i)
                    .isEmpty();
        }
        assertThat(same.find("v1.not-base64!")).isEmpty();
        assertThat(same.find("v1.AAAA")).isEmpty();
        assertThat(same.find("v2." + opened.id().substring(3))).isEmpty();
        assertThat(same.find(null)).isEmpty();
        assertThat(same.find(opened.id())).isPresent();
    }

    @Test
    void theCookieDoesNotShowTheToken() {
        OperatorSession opened = store(SECRET, T0).open("rg_admin_visible", "admin", true);

        assertThat(opened.id()).doesNotContain("rg_admin_visible");
        assertThat(new String(Base64.getUrlDecoder().decode(opened.id().substring(3)), StandardCharsets.ISO_8859_1))
                .doesNotContain("rg_admin_visible");
    }

    @Test
    void anIdleSessionEndsAndAUsedOneIsResealedWithItsNewLastUse() {
        OperatorSession opened = store(SECRET, T0).open("rg_service_x", "read-only", false);

        assertThat(store(SECRET, T0.plus(Duration.ofHours(8)).plusSeconds(1)).find(opened.id()))
                .isEmpty();
        assertThat(store(SECRET, T0.plusSeconds(30)).find(opened.id()))
                .hasValueSatisfying(s -> assertThat(s.id()).isEqualTo(opened.id()));

        OperatorSession resealed =
                store(SECRET, T0.plus(Duration.ofHours(7))).find(opened.id()).orElseThrow();
        assertThat(resealed.id()).isNotEqualTo(opened.id());
        assertThat(resealed.csrf()).isEqualTo(opened.csrf());
        assertThat(resealed.canWrite()).isFalse();
        // Used at 7 h, so alive at 14 h, though the original cookie idled out at 8 h.
        assertThat(store(SECRET, T0.plus(Duration.ofHours(14))).find(resealed.id()))
                .isPresent();
    }

    @Test
    void aSessionWhoseAdminRightsAreUnconfirmedIsReadOnlyAndAskedAgainAfterTheBackOff() {
        OperatorSession opened = store(SECRET, T0)
                .openUnconfirmed("rg_admin_abc", "Ana Lima", "flag-service is unavailable:\nno answer within 5 s");

        OperatorSession found =
                store(SECRET, T0.plusSeconds(5)).find(opened.id()).orElseThrow();
        assertThat(found.canWrite()).isFalse();
        assertThat(found.tokenKind()).isEqualTo("read-only");
        assertThat(found.unconfirmed()).isTrue();
        // A line break in a service's message would split the sealed fields: it is sealed as a space.
        assertThat(found.adminUnconfirmed()).isEqualTo("flag-service is unavailable: no answer within 5 s");
        assertThat(found.recheckAt()).isEqualTo(T0.plusSeconds(30));
        assertThat(store(SECRET, T0.plusSeconds(29)).recheckDue(found)).isFalse();
        assertThat(store(SECRET, T0.plusSeconds(30)).recheckDue(found)).isTrue();

        OperatorSession again =
                store(SECRET, T0.plusSeconds(31)).stillUnconfirmed(found, "the flag-service answered HTTP 500");
        assertThat(store(SECRET, T0.plusSeconds(31)).find(again.id())).hasValueSatisfying(s -> {
            assertThat(s.canWrite()).isFalse();
            assertThat(s.adminUnconfirmed()).isEqualTo("the flag-service answered HTTP 500");
            assertThat(s.recheckAt()).isEqualTo(T0.plusSeconds(61));
        });

        OperatorSession admin = store(SECRET, T0.plusSeconds(61)).confirmed(again, true);
        assertThat(store(SECRET, T0.plusSeconds(62)).find(admin.id())).hasValueSatisfying(s -> {
            assertThat(s.canWrite()).isTrue();
            assertThat(s.tokenKind()).isEqualTo("admin");
            assertThat(s.unconfirmed()).isFalse();
            assertThat(s.recheckAt()).isNull();
            // The same session: forms shown before still carry its CSRF token, and the name is kept.
            assertThat(s.csrf()).isEqualTo(opened.csrf());
            assertThat(s.operator()).isEqualTo("Ana Lima");
            assertThat(s.since()).isEqualTo(T0);
        });
        assertThat(store(SECRET, T0.plusSeconds(90)).recheckDue(admin)).isFalse();
    }

    @Test
    void aLongReasonIsCutSoTheCookieStaysSmall() {
        OperatorSession opened = store(SECRET, T0).openUnconfirmed("rg_admin_abc", "", "x".repeat(5000));

        OperatorSession found = store(SECRET, T0).find(opened.id()).orElseThrow();
        assertThat(found.adminUnconfirmed()).hasSize(301).endsWith("x…");
        assertThat(opened.id()).hasSizeLessThan(1000);
    }

    @Test
    void anUnconfirmedSessionCannotBeMadeAdminByChangingTheCookie() {
        OperatorSession opened = store(SECRET, T0).openUnconfirmed("rg_admin_abc", "", "HTTP 500");
        byte[] sealed = Base64.getUrlDecoder().decode(opened.id().substring(3));
        for (int i = 12; i < sealed.length; i++) {
            byte[] changed = sealed.clone();
            changed[i] ^= 1;
            assertThat(store(SECRET, T0)
                            .find("v1."
                                    + Base64.getUrlEncoder().withoutPadding().encodeToString(changed)))
                    .as("bit flipped at byte %d", i)
                    .isEmpty();
        }
    }

    @Test
    void withoutASecretOnlyTheSameInstanceOpensItsSessions() {
        SessionStore one = new SessionStore(Optional.empty(), Duration.ofHours(8), false, Clock.systemUTC());
        SessionStore other = new SessionStore(Optional.empty(), Duration.ofHours(8), false, Clock.systemUTC());
        OperatorSession opened = one.open("rg_admin_abc", "admin", true);

        assertThat(one.find(opened.id())).isPresent();
        assertThat(other.find(opened.id())).isEmpty();
    }

    @Test
    void aShortSecretIsRefused() {
        assertThatThrownBy(() -> store("too-short", T0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 32 characters");
    }

    private static SessionStore store(String secret, Instant now) {
        return new SessionStore(Optional.of(secret), Duration.ofHours(8), false, Clock.fixed(now, ZoneOffset.UTC));
    }
}
