package dev.rollguard.schemas.trace;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class TraceContextTest {

    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String PARENT = "00-" + TRACE + "-00f067aa0ba902b7-01";

    @Test
    void keepsTheCallersRequestIdAndTraceIdAndStartsANewSpan() {
        TraceContext context = TraceContext.accept("req-42", PARENT);

        assertThat(context.requestId()).isEqualTo("req-42");
        assertThat(context.traceId()).isEqualTo(TRACE);
        assertThat(context.spanId()).matches("[0-9a-f]{16}").isNotEqualTo("00f067aa0ba902b7");
        assertThat(context.sampled()).isTrue();
        assertThat(context.traceparent()).matches("00-" + TRACE + "-[0-9a-f]{16}-01");
    }

    @Test
    void keepsTheUnsampledFlag() {
        assertThat(TraceContext.accept(null, "00-" + TRACE + "-00f067aa0ba902b7-00")
                        .traceparent())
                .endsWith("-00");
    }

    @Test
    void createsBothWhenTheCallerSentNone() {
        TraceContext context = TraceContext.accept(null, null);

        assertThat(context.requestId()).matches("[0-9a-f-]{36}");
        assertThat(TraceContext.validTraceId(context.traceId())).isTrue();
        assertThat(TraceContext.accept(null, null).traceId()).isNotEqualTo(context.traceId());
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(
            strings = {
                "garbage",
                "00-" + TRACE + "-00f067aa0ba902b7",
                "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                "00-" + TRACE + "-0000000000000000-01",
                "ff-" + TRACE + "-00f067aa0ba902b7-01",
                "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
                "00-" + TRACE + "-00f067aa0ba902b7-01-extra",
                "00-" + TRACE + "x-00f067aa0ba902b7-01"
            })
    void replacesAMalformedTraceparent(String traceparent) {
        TraceContext context = TraceContext.accept("req-1", traceparent);

        assertThat(context.traceId()).isNotEqualTo(TRACE);
        assertThat(TraceContext.validTraceId(context.traceId())).isTrue();
        assertThat(context.requestId()).isEqualTo("req-1");
    }

    @Test
    void acceptsALaterVersionWithMoreFields() {
        assertThat(TraceContext.accept(null, "01-" + TRACE + "-00f067aa0ba902b7-01-what-comes-next")
                        .traceId())
                .isEqualTo(TRACE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "has space", "tab\there", "é"})
    void replacesAMalformedRequestId(String requestId) {
        assertThat(TraceContext.accept(requestId, PARENT).requestId())
                .isNotEqualTo(requestId)
                .matches("[0-9a-f-]{36}");
    }

    @Test
    void replacesARequestIdThatIsTooLong() {
        String longId = "r".repeat(TraceContext.MAX_REQUEST_ID + 1);

        assertThat(TraceContext.accept(longId, null).requestId()).isNotEqualTo(longId);
        assertThat(TraceContext.accept(longId.substring(1), null).requestId()).isEqualTo(longId.substring(1));
    }

    @Test
    void travelsInKafkaHeaders() {
        var headers = new RecordHeaders();
        assertThat(TraceContext.present(headers)).isFalse();
        TraceContext sent = TraceContext.accept("req-7", PARENT);

        sent.writeTo(headers);
        sent.writeTo(headers);

        assertThat(headers.headers(TraceContext.REQUEST_ID)).hasSize(1);
        assertThat(new String(headers.lastHeader(TraceContext.TRACEPARENT).value(), StandardCharsets.UTF_8))
                .isEqualTo(sent.traceparent());
        TraceContext received = TraceContext.fromHeaders(headers);
        assertThat(TraceContext.present(headers)).isTrue();
        assertThat(received.requestId()).isEqualTo("req-7");
        assertThat(received.traceId()).isEqualTo(TRACE);
        assertThat(TraceContext.requestIdIn(headers)).isEqualTo("req-7");
        assertThat(TraceContext.traceIdIn(headers)).isEqualTo(TRACE);
    }

    @Test
    void readsNothingFromHeadersWithoutIdsOrWithMalformedOnes() {
        var headers = new RecordHeaders();
        assertThat(TraceContext.requestIdIn(headers)).isNull();
        assertThat(TraceContext.traceIdIn(headers)).isNull();

        headers.add(TraceContext.REQUEST_ID, "two words".getBytes(StandardCharsets.UTF_8));
        headers.add(TraceContext.TRACEPARENT, "00-nope".getBytes(StandardCharsets.UTF_8));

        assertThat(TraceContext.present(headers)).isFalse();
        assertThat(TraceContext.requestIdIn(headers)).isNull();
        assertThat(TraceContext.traceIdIn(headers)).isNull();
        assertThat(TraceContext.fromHeaders(headers).requestId()).isNotEqualTo("two words");
    }

    @Test
    void continuesATraceOrStartsOneWhenTheIdIsMalformed() {
        assertThat(TraceContext.continueTrace("req-9", TRACE).traceId()).isEqualTo(TRACE);
        assertThat(TraceContext.continueTrace("req-9", "nope").traceId()).isNotEqualTo("nope");
        assertThat(TraceContext.continueTrace(null, TRACE).requestId()).isNotBlank();
    }
}
