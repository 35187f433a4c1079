package dev.rollguard.flag.rest;

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
        assertThat(ETags.requiredVersion("\"3\"")).isEqualTo(3);
        assertThat(ETags.requiredVersion("W/\"12\"")).isEqualTo(12);
        assertThat(ETags.requiredVersion(" \"4\" ")).isEqualTo(4);
        assertThat(ETags.requiredVersion("5")).isEqualTo(5);
        assertThat(ETags.requiredVersion(ETags.of(42))).isEqualTo(42);
    }

    @Test
    void withoutIfMatch428() {
        for (String missing : new String[] {null, "", "  "}) {
            ApiException refused = catchThrowableOfType(ApiException.class, () -> ETags.requiredVersion(missing));
            assertThat(refused.status()).isEqualTo(428);
            assertThat(refused.code()).isEqualTo("PRECONDITION_REQUIRED");
        }
    }

    @Test
    void aTagThatIsNoVersion412() {
        for (String tag : new String[] {"\"abc\"", "*", "W/\"\""}) {
            ApiException refused = catchThrowableOfType(ApiException.class, () -> ETags.requiredVersion(tag));
            assertThat(refused.status()).as(tag).isEqualTo(412);
            assertThat(refused.code()).isEqualTo("PRECONDITION_FAILED");
            assertThat(refused.getMessage()).contains(tag);
        }
    }
}
