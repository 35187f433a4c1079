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
    void aContextAttributeIsAcceptedWithinEveryRule() {
        assertThat(TelemetryLimits.contextRefusal("country", "FR")).isNull();
        assertThat(TelemetryLimits.contextRefusal("n".repeat(64), "v".repeat(256)))
                .isNull();
        assertThat(TelemetryLimits.contextRefusal("_org.tier-2", "")).isNull();
        assertThat(TelemetryLimits.contextRefusal("city", "K\u00f6ln \ud83d\ude00"))
                .isNull();
    }

    @Test
    void aContextAttributeIsRefusedForTheRuleItBreaksOnePastEachBound() {
        assertThat(TelemetryLimits.contextRefusal(null, "x")).isEqualTo(ContextRefusal.EMPTY_NAME);
        assertThat(TelemetryLimits.contextRefusal("", "x")).isEqualTo(ContextRefusal.EMPTY_NAME);
        assertThat(TelemetryLimits.contextRefusal("n".repeat(65), "x")).isEqualTo(ContextRefusal.NAME_TOO_LONG);
        assertThat(TelemetryLimits.contextRefusal("two words", "x")).isEqualTo(ContextRefusal.MALFORMED_NAME);
        assertThat(TelemetryLimits.contextRefusal("2fa", "x")).isEqualTo(ContextRefusal.MALFORMED_NAME);
        assertThat(TelemetryLimits.contextRefusal("coun\u0000try", "x")).isEqualTo(ContextRefusal.MALFORMED_NAME);
        for (String reserved : TelemetryLimits.RESERVED_CONTEXT_NAMES) {
            assertThat(TelemetryLimits.contextRefusal(reserved, "x")).isEqualTo(ContextRefusal.RESERVED_NAME);
        }
        assertThat(TelemetryLimits.contextRefusal("country", null)).isEqualTo(ContextRefusal.MISSING_VALUE);
        assertThat(TelemetryLimits.contextRefusal("country", "v".repeat(257))).isEqualTo(ContextRefusal.VALUE_TOO_LONG);
        assertThat(TelemetryLimits.contextRefusal("country", "F\nR")).isEqualTo(ContextRefusal.REFUSED_CHARACTER);
        assertThat(TelemetryLimits.contextRefusal("country", "FR\ud83d")).isEqualTo(ContextRefusal.REFUSED_CHARACTER);
    }

    @Test
    void theShapeCheckIsTheSameWithoutTheValuesCharacters() {
        assertThat(TelemetryLimits.contextShapeRefusal("country", "F\nR")).isNull();
        assertThat(TelemetryLimits.contextShapeRefusal("coun\u0000try", "x")).isEqualTo(ContextRefusal.MALFORMED_NAME);
        assertThat(TelemetryLimits.contextShapeRefusal("country", "v".repeat(257)))
                .isEqualTo(ContextRefusal.VALUE_TOO_LONG);
        assertThat(TelemetryLimits.contextShapeRefusal("platform", "F\nR")).isEqualTo(ContextRefusal.RESERVED_NAME);
    }

    @Test
    void aContextAttributeIsRefusedForTheFirstRuleItBreaks() {
        assertThat(TelemetryLimits.contextRefusal("", null)).isEqualTo(ContextRefusal.EMPTY_NAME);
        assertThat(TelemetryLimits.contextRefusal("n".repeat(64) + " ", "x"))
                .as("too long and malformed")
                .isEqualTo(ContextRefusal.NAME_TOO_LONG);
        assertThat(TelemetryLimits.contextRefusal("targetingKey", null))
                .as("reserved and without a value")
                .isEqualTo(ContextRefusal.RESERVED_NAME);
        assertThat(TelemetryLimits.contextRefusal("country", "\u0000".repeat(257)))
                .as("too long and holding a control character")
                .isEqualTo(ContextRefusal.VALUE_TOO_LONG);
        assertThat(ContextRefusal.values())
                .as("the order the rules are checked in, which both the client and metrics-ingest rely on")
                .containsExactly(
                        ContextRefusal.EMPTY_NAME,
                        ContextRefusal.NAME_TOO_LONG,
                        ContextRefusal.MALFORMED_NAME,
                        ContextRefusal.RESERVED_NAME,
                        ContextRefusal.MISSING_VALUE,
                        ContextRefusal.VALUE_TOO_LONG,
                        ContextRefusal.REFUSED_CHARACTER);
    }

    @Test
    void aContextRefusalSaysWhyInTheWordsTheClientLogs() {
        assertThat(ContextRefusal.EMPTY_NAME.reason()).isEqualTo("an attribute name is empty");
        assertThat(ContextRefusal.NAME_TOO_LONG.reason()).isEqualTo("its name is longer than 64 characters");
        assertThat(ContextRefusal.MALFORMED_NAME.reason())
                .isEqualTo("its name must start with a letter or '_' and hold only letters, digits, '_', '.' and '-'");
        assertThat(ContextRefusal.RESERVED_NAME.reason())
                .isEqualTo("it is carried by the event's own field (targetingKey is the userId, else the clientId)");
        assertThat(ContextRefusal.MISSING_VALUE.reason()).isEqualTo("it has no value");
        assertThat(ContextRefusal.VALUE_TOO_LONG.reason()).isEqualTo("its value is longer than 256 characters");
        assertThat(ContextRefusal.REFUSED_CHARACTER.reason())
                .isEqualTo("its value holds a control character or an unpaired surrogate");
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
