package dev.rollguard.rollback.client;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The reason sent with an action is cut to what the flag-service takes, on a whole character: half of a surrogate
 * pair is text the flag-service refuses (INVALID_CHARACTER), and that refusal would leave the flag on.
 */
class ReasonShorteningTest {

    private static boolean hasLoneSurrogate(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c)
                    && (i + 1 == text.length() || !Character.isLowSurrogate(text.charAt(i + 1)))) {
                return true;
            }
            if (Character.isLowSurrogate(c) && (i == 0 || !Character.isHighSurrogate(text.charAt(i - 1)))) {
                return true;
            }
        }
        return false;
    }

    @Test
    void aLongReasonIsCutOnAWholeCharacterWhereverAnEmojiFalls() {
        String fire = "\uD83D\uDD25";
        for (int shift = 0; shift < 4; shift++) {
            String reason = "x".repeat(FlagServiceClient.MAX_REASON - 3 + shift) + fire + " rule 🔥 checkout errors";
            String sent = FlagServiceClient.shortened(reason);

            assertThat(sent.length()).as("shift %d", shift).isLessThanOrEqualTo(FlagServiceClient.MAX_REASON);
            assertThat(sent).endsWith("\u2026");
            assertThat(hasLoneSurrogate(sent))
                    .as("shift %d: %s", shift, sent.substring(1990))
                    .isFalse();
        }
    }

    @Test
    void aReasonThatFitsIsSentWhole() {
        String reason = "🔥".repeat(FlagServiceClient.MAX_REASON / 2);
        assertThat(FlagServiceClient.shortened(reason)).isEqualTo(reason);
    }
}
