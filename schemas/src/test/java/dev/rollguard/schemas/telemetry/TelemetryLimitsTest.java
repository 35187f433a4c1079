package dev.rollguard.schemas.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.schemas.event.FlagExposure;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class TelemetryLimitsTest {

    @Test
    void theBoundsAreTheOnesTheContractStates() {
        assertThat(TelemetryLimits.MAX_UPLOAD_BYTES).isEqualTo(1_099_511_627_776L); // 1 TiB
        assertThat(TelemetryLimits.MAX_AGE).isEqualTo(Duration.ofDays(7));
        assertThat(TelemetryLimits.MAX_CLOCK_SKEW).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void aContextNameIsAnIdentifier() {
        assertThat(TelemetryLimits.isContextName("country")).isTrue();
        assertThat(TelemetryLimits.isContextName("_org.tier-2")).isTrue();
        assertThat(TelemetryLimits.isContextName("2fa")).isFalse();
        assertThat(TelemetryLimits.isContextName("two words")).isFalse();
        assertThat(TelemetryLimits.isContextName("")).isFalse();
        assertThat(TelemetryLimits.isContextName(null)).isFalse();
        assertThat(TelemetryLimits.RESERVED_CONTEXT_NAMES)
                .containsExactlyInAnyOrder("targetingKey", "platform", "appVersion");
    }

    @Test
    void anExposureIsAcceptedWithKeysOfAtMost128CharactersAndNoNegativeVersion() {
        assertThat(TelemetryLimits.isAcceptedExposure(exposure("k".repeat(128), "v".repeat(128), 0L)))
                .isTrue();
        assertThat(TelemetryLimits.isAcceptedExposure(exposure("flag", "on", null)))
                .isTrue();
        assertThat(TelemetryLimits.isAcceptedExposure(exposure("k".repeat(129), "on", null)))
                .isFalse();
        assertThat(TelemetryLimits.isAcceptedExposure(exposure("flag", " ", null)))
                .isFalse();
        assertThat(TelemetryLimits.isAcceptedExposure(exposure("flag", "on", -1L)))
                .isFalse();
    }

    @Test
    void textHoldsNoControlCharacterNorUnpairedSurrogateAndFreeTextKeepsTabAndLineFeed() {
        assertThat(TelemetryLimits.firstRefusedCharacter("caf\u00e9 \ud83d\ude00", false))
                .isEqualTo(-1);
        assertThat(TelemetryLimits.firstRefusedCharacter("a\tb", false)).isEqualTo(1);
        assertThat(TelemetryLimits.firstRefusedCharacter("a\tb\nc", true)).isEqualTo(-1);
        assertThat(TelemetryLimits.firstRefusedCharacter("a\r\nb", true)).isEqualTo(1);
        assertThat(TelemetryLimits.firstRefusedCharacter("ab\u0085", true)).isEqualTo(2);
        assertThat(TelemetryLimits.firstRefusedCharacter("x\ud83d", false)).isEqualTo(1);
        assertThat(TelemetryLimits.firstRefusedCharacter("x\ude00y", false)).isEqualTo(1);
    }

    private static FlagExposure exposure(String flagKey, String variant, Long version) {
        return FlagExposure.newBuilder()
                .setFlagKey(flagKey)
                .setVariant(variant)
                .setFlagVersion(version)
                .build();
    }
}
