package dev.rollguard.http;

import dev.rollguard.schemas.trace.TraceContext;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.MDC;

/**
 * Gives every HTTP request a request id and a W3C trace context: the caller's when well-formed, fresh ones
 * otherwise (a malformed header is replaced, never refused). Both are echoed in the response, set in the log MDC
 * ({@code requestId}, {@code traceId}, {@code spanId}) and kept on the routing context for the code that passes them
 * on. With OpenTelemetry export on, the server span's ids are used, so the logs, the headers and the collector agree.
 */
@ApplicationScoped
public class RequestTraceFilter {

    /** Routing context key of the request's {@link TraceContext}. */
    public static final String CONTEXT_KEY = TraceContext.class.getName();

    void install(@Observes Router router) {
        // First of all routes, so that every answer, refusals included, carries the ids.
        router.route().order(Integer.MIN_VALUE).handler(RequestTraceFilter::handle);
    }

    static void handle(RoutingContext context) {
        HttpServerRequest request = context.request();
        TraceContext trace = withSpan(TraceContext.accept(
                request.getHeader(TraceContext.REQUEST_ID), request.getHeader(TraceContext.TRACEPARENT)));
        context.put(CONTEXT_KEY, trace);
        MDC.put(TraceContext.MDC_REQUEST_ID, trace.requestId());
        MDC.put(TraceContext.MDC_TRACE_ID, trace.traceId());
        MDC.put(TraceContext.MDC_SPAN_ID, trace.spanId());
        context.response()
                .putHeader(TraceContext.REQUEST_ID, trace.requestId())
                .putHeader(TraceContext.TRACEPARENT, trace.traceparent());
        context.next();
    }

    /** The server span's ids when OpenTelemetry records one (export on), else {@code trace} as it is. */
    private static TraceContext withSpan(TraceContext trace) {
        SpanContext span = Span.current().getSpanContext();
        if (!span.isValid()) {
            return trace;
        }
        return new TraceContext(trace.requestId(), span.getTraceId(), span.getSpanId(), span.isSampled());
    }
}
