package dev.rollguard.schemas.keys;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class FlagKeysTest {

    @Test
    void acceptsLowerCaseWordsSeparatedBySingleDotsOrDashes() {
        assertThat(FlagKeys.isFlagKey("replication.table-entries")).isTrue();
        assertThat(FlagKeys.isFlagKey("a")).isTrue();
        assertThat(FlagKeys.isFlagKey("0")).isTrue();
        assertThat(FlagKeys.isFlagKey("v2.sync-compression.3")).isTrue();
    }

    @Test
    void refusesEmptyUpperCaseDoubledLeadingOrTrailingSeparatorsAndOtherCharacters() {
        assertThat(FlagKeys.isFlagKey(null)).isFalse();
        assertThat(FlagKeys.isFlagKey("")).isFalse();
        assertThat(FlagKeys.isFlagKey("Sync")).isFalse();
        assertThat(FlagKeys.isFlagKey("a..b")).isFalse();
        assertThat(FlagKeys.isFlagKey("a.-b")).isFalse();
        assertThat(FlagKeys.isFlagKey(".a")).isFalse();
        assertThat(FlagKeys.isFlagKey("-a")).isFalse();
        assertThat(FlagKeys.isFlagKey("a.")).isFalse();
        assertThat(FlagKeys.isFlagKey("a-")).isFalse();
        assertThat(FlagKeys.isFlagKey(".")).isFalse();
        assertThat(FlagKeys.isFlagKey("a_b")).isFalse();
        assertThat(FlagKeys.isFlagKey("a:b")).isFalse();
        assertThat(FlagKeys.isFlagKey("a|b")).isFalse();
        assertThat(FlagKeys.isFlagKey("a b")).isFalse();
        assertThat(FlagKeys.isFlagKey("a\n")).isFalse();
        assertThat(FlagKeys.isFlagKey("é")).isFalse();
    }

    @Test
    void agreesWithThePatternOnRandomKeys() {
        // Keys drawn from the characters that matter (letters and digits on both sides of the ranges' ends, both
        // separators, a few others) in every arrangement up to six characters long: the scan and the regular
        // expression must agree on each.
        char[] alphabet = {'a', 'z', '0', '9', '.', '-', 'A', '_', '`', '{', '/', ':', ' '};
        SplittableRandom random = new SplittableRandom(20261207);
        int accepted = 0;
        for (int n = 0; n < 200_000; n++) {
            int length = random.nextInt(7);
            StringBuilder key = new StringBuilder(length);
            for (int i = 0; i < length; i++) {
                // Mostly letters and digits, so that valid keys are common too.
                key.append(alphabet[random.nextInt(4) == 0 ? random.nextInt(alphabet.length) : random.nextInt(6)]);
            }
            String k = key.toString();
            assertThat(FlagKeys.isFlagKey(k)).as("key '%s'", k).isEqualTo(FlagKeys.matchesPattern(k));
            if (FlagKeys.isFlagKey(k)) {
                accepted++;
            }
        }
        assertThat(accepted).as("valid keys among those drawn").isGreaterThan(10_000);
    }
}
