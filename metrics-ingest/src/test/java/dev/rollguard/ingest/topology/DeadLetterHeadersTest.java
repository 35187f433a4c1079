package dev.rollguard.ingest.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

/** The reason of a dead letter is kept whole up to its bound and cut on a character boundary beyond it. */
class DeadLetterHeadersTest {

    private static String written(String reason) {
        var headers = DeadLetterHeaders.write(new RecordHeaders(), "VALIDATION", "CODE", reason, "t", 0, 0);
        return DeadLetterHeaders.read(headers, DeadLetterHeaders.REASON);
    }

    @Test
    void aReasonWithinTheBoundIsKeptWhole() {
        String reason = "é".repeat(DeadLetterHeaders.MAX_REASON_BYTES / 2);
        assertThat(written(reason)).isEqualTo(reason);
        assertThat(written(null)).isEmpty();
    }

    @Test
    void aLongerReasonIsCutWithinTheBoundOnACharacterBoundary() {
        // Four-byte characters (two chars each): a cut must not split one.
        String reason = "x" + "😀".repeat(1000);
        String kept = written(reason);
        assertThat(kept.getBytes(StandardCharsets.UTF_8).length)
                .isLessThanOrEqualTo(DeadLetterHeaders.MAX_REASON_BYTES);
        assertThat(kept).endsWith("…").startsWith("x😀");
        assertThat(kept.substring(0, kept.length() - 1)).doesNotContain("\uFFFD");
        assertThat(Character.isHighSurrogate(kept.charAt(kept.length() - 2))).isFalse();
    }
}
