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

    private static RecordHeaders withOwnAndForeign(int foreignBytes) {
        var headers = new RecordHeaders();
        headers.add("traceparent", new byte[foreignBytes]);
        return (RecordHeaders) DeadLetterHeaders.write(headers, "VALIDATION", "CODE", "reason", "t", 0, 7);
    }

    @Test
    void aDeadLetterWithinTheBoundIsWrittenWhole() {
        var headers = withOwnAndForeign(100);
        var fit = DeadLetterHeaders.fit(10, DeadLetterHeaders.MAX_BYTES - 1_000, headers);
        assertThat(fit).isEqualTo(new DeadLetterHeaders.Fit(false, false));
        assertThat(headers.lastHeader(DeadLetterHeaders.OMITTED)).isNull();
        assertThat(headers.lastHeader("traceparent")).isNotNull();
    }

    @Test
    void aValueThatTakesTheDeadLetterPastTheBoundIsLeftOutFirst() {
        var headers = withOwnAndForeign(100);
        var fit = DeadLetterHeaders.fit(10, DeadLetterHeaders.MAX_BYTES, headers);
        assertThat(fit).isEqualTo(new DeadLetterHeaders.Fit(true, false));
        assertThat(DeadLetterHeaders.read(headers, DeadLetterHeaders.OMITTED)).isEqualTo("value=1000000");
        assertThat(headers.lastHeader("traceparent"))
                .as("the headers it came with")
                .isNotNull();
        assertThat(DeadLetterHeaders.read(headers, DeadLetterHeaders.SOURCE_OFFSET))
                .isEqualTo("7");
    }

    @Test
    void headersThatStillTakeItPastTheBoundGoNextThenTheKey() {
        var headers = withOwnAndForeign(DeadLetterHeaders.MAX_BYTES);
        var fit = DeadLetterHeaders.fit(10, 5, headers);
        assertThat(fit).isEqualTo(new DeadLetterHeaders.Fit(true, false));
        assertThat(DeadLetterHeaders.read(headers, DeadLetterHeaders.OMITTED))
                .isEqualTo("value=5,headers=" + (DeadLetterHeaders.MAX_BYTES + "traceparent".length() + 12));
        assertThat(headers.lastHeader("traceparent")).isNull();
        assertThat(DeadLetterHeaders.read(headers, DeadLetterHeaders.CODE)).isEqualTo("CODE");

        var keyed = withOwnAndForeign(10);
        assertThat(DeadLetterHeaders.fit(DeadLetterHeaders.MAX_BYTES, 5, keyed))
                .isEqualTo(new DeadLetterHeaders.Fit(true, true));
        assertThat(DeadLetterHeaders.read(keyed, DeadLetterHeaders.OMITTED))
                .isEqualTo("value=5,headers=" + (10 + "traceparent".length() + 12) + ",key=1000000");
    }
}
