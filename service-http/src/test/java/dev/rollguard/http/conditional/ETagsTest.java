package dev.rollguard.http.conditional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.rollguard.http.error.ApiException;
import org.junit.jupiter.api.Test;

class ETagsTest {

    @Test
    void aVersionIsAQuotedTag() {
        assertThat(ETags.of(3)).isEqualTo("\"3\"");
    }

    @Test
    void ifMatchNamesAVersionStrongWeakOrBare() {
        assertThat(ETags.requiredVersion("\"3\"", "PATCH of a flag").versions()).containsExactly(3L);
        assertThat(ETags.requiredVersion("W/\"12\"", "PATCH of a flag").versions())
                .containsExactly(12L);
        assertThat(ETags.requiredVersion(" \"4\" ", "PATCH of a flag").versions())
                .containsExactly(4L);
        assertThat(ETags.requiredVersion("5", "PATCH of a flag").versions()).containsExactly(5L);
        assertThat(ETags.requiredVersion(ETags.of(42), "PATCH of a flag").versions())
                .containsExactly(42L);
        assertThat(ETags.expectedVersion("W/\"12\"").versions()).containsExactly(12L);

        ExpectedVersion three = ETags.requiredVersion("\"3\"", "PATCH of a flag");
        assertThat(three.allows(3)).isTrue();
        assertThat(three.allows(4)).isFalse();
    }

    @Test
    void ifNoneMatchIsComparedWeaklyInAListOrAsAStar() {
        for (String met : new String[] {"\"3\"", "W/\"3\"", "\"1\", \"3\"", "W/\"1\",W/\"3\"", "*", " * "}) {
            assertThat(ETags.notModified(met, "\"3\"")).as(met).isTrue();
        }
        for (String unmet : new String[] {null, "", "\"4\"", "W/\"4\"", "\"1\", \"2\"", "3", "\"30\""}) {
            assertThat(ETags.notModified(unmet, "\"3\"")).as(unmet).isFalse();
        }
    }

    @Test
    void withoutIfMatch428WhereItIsRequired() {
        for (String missing : new String[] {null, "", "  "}) {
            ApiException refused =
                    catchThrowableOfType(ApiException.class, () -> ETags.requiredVersion(missing, "PATCH of a flag"));
            assertThat(refused.status()).isEqualTo(428);
            assertThat(refused.code()).isEqualTo("PRECONDITION_REQUIRED");
            assertThat(refused.getMessage()).startsWith("PATCH of a flag needs If-Match");
        }
    }

    @Test
    void withoutIfMatchAnyVersionWhereItIsOptional() {
        for (String missing : new String[] {null, "", "  "}) {
            ExpectedVersion expected = ETags.expectedVersion(missing);
            assertThat(expected).isEqualTo(ExpectedVersion.ANY);
            assertThat(expected.allows(1)).isTrue();
            assertThat(expected.allows(42)).isTrue();
        }
    }

    @Test
    void aTagThatIsNoVersionIsMetByNone() {
        for (String tag : new String[] {"\"abc\"", "W/\"\"", "\"abc\", \"def\""}) {
            for (ExpectedVersion expected :
                    new ExpectedVersion[] {ETags.requiredVersion(tag, "PATCH of a flag"), ETags.expectedVersion(tag)}) {
                assertThat(expected.tag()).as(tag).isEqualTo(tag);
                assertThat(expected.versions()).as(tag).isEmpty();
                assertThat(expected.allows(0)).as(tag).isFalse();
                assertThat(expected.allows(1)).as(tag).isFalse();
            }
        }
    }

    @Test
    void aListIsMetByAnyOfItsVersions() {
        ExpectedVersion listed = ETags.requiredVersion("\"3\", W/\"5\", \"abc\"", "PATCH of a flag");
        assertThat(listed.versions()).containsExactly(3L, 5L);
        assertThat(listed.allows(3)).isTrue();
        assertThat(listed.allows(5)).isTrue();
        assertThat(listed.allows(4)).isFalse();
    }

    @Test
    void aStarIsMetByAnyVersion() {
        for (ExpectedVersion star :
                new ExpectedVersion[] {ETags.requiredVersion("*", "PATCH of a flag"), ETags.expectedVersion(" * ")}) {
            assertThat(star.tag()).isEqualTo("*");
            assertThat(star.allows(1)).isTrue();
            assertThat(star.allows(42)).isTrue();
        }
    }

    @Test
    void aWriteAtAnotherVersionIs412NamingBoth() {
        ETags.expectedVersion("\"3\"").require("rule", "errors", 3);
        ETags.expectedVersion(null).require("rule", "errors", 9);

        ApiException stale = catchThrowableOfType(
                ApiException.class, () -> ETags.expectedVersion("\"3\"").require("rule", "errors", 4));
        ApiException opaque = catchThrowableOfType(
                ApiException.class, () -> ETags.expectedVersion("\"abc\"").require("rule", "errors", 4));

        assertThat(stale.status()).isEqualTo(412);
        assertThat(stale.code()).isEqualTo("PRECONDITION_FAILED");
        assertThat(stale.getMessage())
                .isEqualTo("rule 'errors' is at version 4, not 3: fetch it again and reapply the change");
        assertThat(opaque.getMessage())
                .isEqualTo("If-Match \"abc\" is not a version of rule 'errors' (it is at version 4)");
    }
}
