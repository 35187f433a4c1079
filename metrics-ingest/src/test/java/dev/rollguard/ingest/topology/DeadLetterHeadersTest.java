package dev.rollguard.ingest.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
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

    /** What the foreign header of {@link #withOwnAndForeign} counts: its name, its value and their two sizes. */
    private static long foreign(int bytes) {
        return "traceparent".length() + bytes + 1 + (bytes < 64 ? 1 : bytes < 8192 ? 2 : 3);
    }

    @Test
    void aDeadLetterWithinTheBoundIsWrittenWhole() {
        var headers = withOwnAndForeign(100);
        var fit = DeadLetterHeaders.fit(10, DeadLetterHeaders.MAX_BYTES - 1_000, headers);
        assertThat(fit).isEqualTo(new DeadLetterHeaders.Fit(false, false, headers));
        assertThat(headers.lastHeader(DeadLetterHeaders.OMITTED)).isNull();
    }

    @Test
    void aValueThatTakesTheDeadLetterPastTheBoundIsLeftOutFirst() {
        var headers = withOwnAndForeign(100);
        var fit = DeadLetterHeaders.fit(10, DeadLetterHeaders.MAX_BYTES, headers);
        assertThat(fit.valueOmitted()).isTrue();
        assertThat(fit.keyOmitted()).isFalse();
        assertThat(DeadLetterHeaders.read(fit.headers(), DeadLetterHeaders.OMITTED))
                .isEqualTo("value=1000000");
        assertThat(fit.headers().lastHeader("traceparent"))
                .as("the headers it came with")
                .isNotNull();
        assertThat(DeadLetterHeaders.read(fit.headers(), DeadLetterHeaders.SOURCE_OFFSET))
                .isEqualTo("7");
        assertThat(headers.lastHeader(DeadLetterHeaders.OMITTED))
                .as("the headers given are left as they were")
                .isNull();
    }

    @Test
    void headersThatStillTakeItPastTheBoundGoNextThenTheKey() {
        var headers = withOwnAndForeign(DeadLetterHeaders.MAX_BYTES);
        var fit = DeadLetterHeaders.fit(10, 5, headers);
        assertThat(fit.valueOmitted()).isTrue();
        assertThat(fit.keyOmitted()).isFalse();
        assertThat(DeadLetterHeaders.read(fit.headers(), DeadLetterHeaders.OMITTED))
                .isEqualTo("value=5,headers=" + foreign(DeadLetterHeaders.MAX_BYTES));
        assertThat(fit.headers().lastHeader("traceparent")).isNull();
        assertThat(DeadLetterHeaders.read(fit.headers(), DeadLetterHeaders.CODE))
                .isEqualTo("CODE");

        var keyed = DeadLetterHeaders.fit(DeadLetterHeaders.MAX_BYTES, 5, withOwnAndForeign(10));
        assertThat(keyed.valueOmitted()).isTrue();
        assertThat(keyed.keyOmitted()).isTrue();
        assertThat(DeadLetterHeaders.read(keyed.headers(), DeadLetterHeaders.OMITTED))
                .isEqualTo("value=5,headers=" + foreign(10) + ",key=1000000");
    }

    @Test
    void aHeaderUnderADeadLetterPrefixIsTheRecordsOwnAndATombstoneStaysOne() {
        var headers = new RecordHeaders();
        headers.add("rollguard.dlq.note", new byte[DeadLetterHeaders.MAX_BYTES]);
        DeadLetterHeaders.write(headers, "VALIDATION", "CODE", "reason", "t", 0, 7);
        var fit = DeadLetterHeaders.fit(2, -1, headers);
        assertThat(fit.valueOmitted()).as("no value to leave out").isFalse();
        assertThat(fit.keyOmitted()).isFalse();
        assertThat(fit.headers().lastHeader("rollguard.dlq.note")).isNull();
        assertThat(DeadLetterHeaders.read(fit.headers(), DeadLetterHeaders.OMITTED))
                .isEqualTo("headers=" + ("rollguard.dlq.note".length() + DeadLetterHeaders.MAX_BYTES + 1 + 3));
    }

    @Test
    void aRecordWithVeryManyHeadersIsFittedInOnePass() {
        var headers = new RecordHeaders();
        for (int i = 0; i < 200_000; i++) {
            headers.add(Integer.toString(i, 36), new byte[4]);
        }
        DeadLetterHeaders.write(headers, "VALIDATION", "CODE", "reason", "t", 0, 7);
        // Removed one by one, 200 000 headers took minutes; a generous bound on one pass.
        long started = System.nanoTime();
        var fit = DeadLetterHeaders.fit(2, 10, headers);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
        assertThat(fit.headers().toArray()).hasSize(7);
    }
}
