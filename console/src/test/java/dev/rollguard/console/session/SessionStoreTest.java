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
    void aLongReasonIsCutInUtf8BytesSoTheCookieStaysSmall() {
        OperatorSession ascii = store(SECRET, T0).openUnconfirmed("rg_admin_abc", "", "x".repeat(5000));
        assertThat(store(SECRET, T0).find(ascii.id()).orElseThrow().adminUnconfirmed())
                .isEqualTo("x".repeat(297) + "…");

        // Three bytes a character: 300 characters would be 900 bytes.
        String longest = "t".repeat(512);
        OperatorSession wide =
                store(SECRET, T0).openUnconfirmed(longest, "n".repeat(200), "\u8bfb\u53d6\u5931\u8d25".repeat(2000));
        String reason = store(SECRET, T0).find(wide.id()).orElseThrow().adminUnconfirmed();
        assertThat(reason.getBytes(StandardCharsets.UTF_8)).hasSizeLessThanOrEqualTo(300);
        assertThat(reason).startsWith("\u8bfb\u53d6\u5931\u8d25").endsWith("…");
        // The longest token sign-in accepts, the longest name and the longest reason: well under the 4 KB browsers
        // keep.
        assertThat(wide.id()).hasSizeLessThan(2000);

        // A character outside the Basic Multilingual Plane is never cut in half.
        String cut = SessionStore.reason("\uD83D\uDE80".repeat(200));
        assertThat(cut.getBytes(StandardCharsets.UTF_8)).hasSizeLessThanOrEqualTo(300);
        assertThat(cut).isEqualTo("\uD83D\uDE80".repeat(74) + "…");
    }

    @Test
    void aConfirmedSessionIsSealedInTheSevenFieldsThePreviousReleaseReads() {
        SessionStore store = store(SECRET, T0);
        OperatorSession admin = store.open("rg_admin_abc", "admin", true, "Ana Lima");
        OperatorSession unconfirmed = store.openUnconfirmed("rg_admin_abc", "Ana Lima", "HTTP 500");
        OperatorSession upgraded = store.confirmed(unconfirmed, true);
        OperatorSession readOnly = store.confirmed(unconfirmed, false);

        for (OperatorSession confirmed : new OperatorSession[] {admin, upgraded, readOnly}) {
            String[] fields = PreviousRelease.open(SECRET, confirmed.id());
            assertThat(fields).hasSize(7);
            assertThat(fields[0]).isEqualTo("rg_admin_abc");
            assertThat(fields[3]).isEqualTo(confirmed.csrf());
            assertThat(fields[6]).isEqualTo("Ana Lima");
        }
        // A resealed confirmed session too.
        OperatorSession resealed =
                store(SECRET, T0.plus(Duration.ofMinutes(5))).find(admin.id()).orElseThrow();
        assertThat(resealed.id()).isNotEqualTo(admin.id());
        assertThat(PreviousRelease.open(SECRET, resealed.id())).hasSize(7);
        // Only a session still waiting for its admin check carries the two more fields.
        assertThat(PreviousRelease.open(SECRET, unconfirmed.id())).hasSize(9);
    }

    @Test
    void sixAndSevenFieldCookiesOfThePreviousReleasesOpenAsConfirmedSessions() {
        String sixFields = PreviousRelease.seal(
                SECRET, "rg_admin_six", "admin", "true", "csrf-six", T0.toEpochMilli(), T0.toEpochMilli());
        String sevenFields = PreviousRelease.seal(
                SECRET,
                "rg_service_seven",
                "read-only",
                "false",
                "csrf-seven",
                T0.toEpochMilli(),
                T0.toEpochMilli(),
                "Ana Lima");

        assertThat(store(SECRET, T0.plusSeconds(5)).find(sixFields)).hasValueSatisfying(s -> {
            assertThat(s.id()).isEqualTo(sixFields);
            assertThat(s.token()).isEqualTo("rg_admin_six");
            assertThat(s.canWrite()).isTrue();
            assertThat(s.tokenKind()).isEqualTo("admin");
            assertThat(s.csrf()).isEqualTo("csrf-six");
            assertThat(s.operator()).isEmpty();
            assertThat(s.unconfirmed()).isFalse();
            assertThat(s.recheckAt()).isNull();
        });
        assertThat(store(SECRET, T0.plusSeconds(5)).find(sevenFields)).hasValueSatisfying(s -> {
            assertThat(s.token()).isEqualTo("rg_service_seven");
            assertThat(s.canWrite()).isFalse();
            assertThat(s.operator()).isEqualTo("Ana Lima");
            assertThat(s.unconfirmed()).isFalse();
            assertThat(s.recheckAt()).isNull();
        });
        // Resealed after the minute: still confirmed, now in the seven fields.
        OperatorSession resealed =
                store(SECRET, T0.plus(Duration.ofMinutes(2))).find(sixFields).orElseThrow();
        assertThat(resealed.unconfirmed()).isFalse();
        assertThat(PreviousRelease.open(SECRET, resealed.id())).hasSize(7);
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
