package dev.rollguard.schemas.targeting;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Semantic Versioning 2.0.0: the grammar of section 2, 9 and 10, the precedence of section 11. */
class SemanticVersionTest {

    @Test
    void precedenceFollowsTheExampleChainOfTheSpecification() {
        // semver.org, section 11.
        List<String> ascending = List.of(
                "1.0.0-alpha",
                "1.0.0-alpha.1",
                "1.0.0-alpha.beta",
                "1.0.0-beta",
                "1.0.0-beta.2",
                "1.0.0-beta.11",
                "1.0.0-rc.1",
                "1.0.0",
                "2.0.0",
                "2.1.0",
                "2.1.1",
                "2.10.0",
                "10.0.0");
        for (int i = 0; i < ascending.size(); i++) {
            for (int j = 0; j < ascending.size(); j++) {
                int c = SemanticVersion.parse(ascending.get(i)).compareTo(SemanticVersion.parse(ascending.get(j)));
                assertThat(Integer.signum(c))
                        .as("%s against %s", ascending.get(i), ascending.get(j))
                        .isEqualTo(Integer.compare(i, j));
            }
        }
    }

    @Test
    void buildMetadataIsIgnoredAndHugeNumbersCompare() {
        assertThat(SemanticVersion.parse("1.0.0+20130313144700"))
                .isEqualByComparingTo(SemanticVersion.parse("1.0.0+exp.sha.5114f85"));
        assertThat(SemanticVersion.parse("1.0.0-beta+exp.sha.5114f85"))
                .isEqualByComparingTo(SemanticVersion.parse("1.0.0-beta"));
        assertThat(SemanticVersion.parse("99999999999999999999999.0.0"))
                .isGreaterThan(SemanticVersion.parse("9999999999999999999999.0.0"));
        assertThat(SemanticVersion.parse("1.0.0-x-y-z.--")).isNotNull();
        assertThat(SemanticVersion.parse("1.0.0-0.3.7")).isNotNull();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "1",
                "1.2",
                "1.2.3.4",
                "v1.2.3",
                "01.2.3",
                "1.02.3",
                "1.2.03",
                "1.2.3-",
                "1.2.3-01",
                "1.2.3-alpha..1",
                "1.2.3+",
                "1.2.3+a..b",
                "1.2.3-al_pha",
                "1.2.3 ",
                " 1.2.3",
                "-1.2.3",
                "1.-2.3",
                "a.b.c",
                "1.2.3-+"
            })
    void malformedVersionsDoNotParse(String text) {
        assertThat(SemanticVersion.parse(text)).isNull();
    }
}
