package dev.rollguard.flag.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.rollguard.flag.domain.ExpectedVersion;
import dev.rollguard.http.error.ApiException;
import org.junit.jupiter.api.Test;

class ETagsTest {

    @Test
    void aVersionIsAQuotedTag() {
        assertThat(ETags.of(3)).isEqualTo("\"3\"");
    }

    @Test
    void ifMatchNamesAVersionStrongWeakOrBare() {
        assertThat(ETags.requiredVersion("\"3\"").versions()).containsExactly(3L);
        assertThat(ETags.requiredVersion("W/\"12\"").versions()).containsExactly(12L);
        assertThat(ETags.requiredVersion(" \"4\" ").versions()).containsExactly(4L);
        assertThat(ETags.requiredVersion("5").versions()).containsExactly(5L);
        assertThat(ETags.requiredVersion(ETags.of(42)).versions()).containsExactly(42L);
        assertThat(ETags.expectedVersion("W/\"12\"").versions()).containsExactly(12L);

        ExpectedVersion three = ETags.requiredVersion("\"3\"");
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
            ApiException refused = catchThrowableOfType(ApiException.class, () -> ETags.requiredVersion(missing));
            assertThat(refused.status()).isEqualTo(428);
            assertThat(refused.code()).isEqualTo("PRECONDITION_REQUIRED");
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
                    new ExpectedVersion[] {ETags.requiredVersion(tag), ETags.expectedVersion(tag)}) {
                assertThat(expected.tag()).as(tag).isEqualTo(tag);
                assertThat(expected.versions()).as(tag).isEmpty();
                assertThat(expected.allows(0)).as(tag).isFalse();
                assertThat(expected.allows(1)).as(tag).isFalse();
            }
        }
    }

    @Test
    void aListIsMetByAnyOfItsVersions() {
        ExpectedVersion listed = ETags.requiredVersion("\"3\", W/\"5\", \"abc\"");
        assertThat(listed.versions()).containsExactly(3L, 5L);
        assertThat(listed.allows(3)).isTrue();
        assertThat(listed.allows(5)).isTrue();
        assertThat(listed.allows(4)).isFalse();
    }

    @Test
    void aStarIsMetByAnyVersion() {
        for (ExpectedVersion star : new ExpectedVersion[] {ETags.requiredVersion("*"), ETags.expectedVersion(" * ")}) {
            assertThat(star.tag()).isEqualTo("*");
            assertThat(star.allows(1)).isTrue();
            assertThat(star.allows(42)).isTrue();
        }
    }
}
