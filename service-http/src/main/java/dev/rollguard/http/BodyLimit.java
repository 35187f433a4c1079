package dev.rollguard.http;

import io.quarkus.vertx.http.runtime.filters.Filters;
import io.quarkus.vertx.http.runtime.security.SecurityHandlerPriorities;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.ext.Provider;
import jakarta.ws.rs.ext.ReaderInterceptor;
import jakarta.ws.rs.ext.ReaderInterceptorContext;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;

/**
 * Request bodies over the service's limit are answered 413 {@code PAYLOAD_TOO_LARGE} with the JSON error of the API,
 * whether the client announced the length or sent the body in chunks: a body with a Content-Length over the limit is
 * refused before anything reads it, a chunked HTTP/1.1 body is read here up to the limit, and any other body is
 * counted as the REST layer reads it. A 413 of the HTTP layer's own limit ({@code quarkus.http.limits.max-body-size})
 * gets the same JSON error instead of an empty body. The refusal comes after the CORS filter, so a page of an
 * allowed origin reads it (and can split its batch) rather than seeing a network error.
 *
 * <p>A service states its limit by producing one {@link Limit} bean from its configuration; this module's bean
 * archive does the rest.
 */
@ApplicationScoped
public class BodyLimit {

    /** The largest request body a service accepts, in bytes. */
    public record Limit(long bytes) {}

    private final long limit;
    private final BodyHandler chunkedReader;

    public BodyLimit(Limit limit) {
        this.limit = limit.bytes();
        this.chunkedReader = BodyHandler.create(false).setBodyLimit(this.limit);
    }

    void register(@Observes Filters filters) {
        filters.register(
                context -> {
                    String length = context.request().getHeader("Content-Length");
                    if (length != null) {
                        if (tooLarge(length)) {
                            refuse(context);
                        } else {
                            context.next();
                        }
                    } else if (mayHaveBody(context.request().method()) && chunked(context)) {
                        // Read here for the REST layer, which takes the body as read, failing with 413 past the limit.
                        chunkedReader.handle(context);
                    } else {
                        context.next();
                    }
                },
                // Right after Quarkus' CORS filter, so a 413 to a page of an allowed origin carries the CORS grant
                // (without it the browser sees only a network error), and before anything reads the body.
                SecurityHandlerPriorities.CORS - 1);
    }

    void failures(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE).failureHandler(context -> {
            if (context.statusCode() == 413 && !context.response().headWritten()) {
                refuse(context);
            } else {
                context.next();
            }
        });
    }

    private void refuse(RoutingContext context) {
        context.response()
                .setStatusCode(413)
                .putHeader("Content-Type", "application/json")
                .putHeader("Connection", "close")
                .end(body(limit));
    }

    /**
     * Whether a request without Content-Length carries a body this filter must read: chunked over HTTP/1.1. A request
     * with neither has no body (a DELETE with a query, say), and an HTTP/2 one (such as a Java client's after its h2c
     * upgrade) may have none either: reading either here would leave the REST layer a request already read. Their
     * bodies are counted as the REST layer reads them ({@link ChunkedBodyInterceptor}).
     */
    private static boolean chunked(RoutingContext context) {
        String encoding = context.request().getHeader("Transfer-Encoding");
        return encoding != null && encoding.toLowerCase(Locale.ROOT).contains("chunked");
    }

    private static boolean mayHaveBody(HttpMethod method) {
        return !HttpMethod.GET.equals(method) && !HttpMethod.HEAD.equals(method) && !HttpMethod.OPTIONS.equals(method);
    }

    private boolean tooLarge(String length) {
        try {
            return Long.parseLong(length.strip()) > limit;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    static String body(long limit) {
        return "{\"code\":\"PAYLOAD_TOO_LARGE\",\"message\":\"request bodies are limited to " + limit + " bytes\"}";
    }

    /**
     * A body without a length that the filter did not read is counted as it is read, and refused at the first byte
     * over the limit. The limit is looked up per request: interceptors are created while the application is built,
     * before its configuration exists.
     */
    @Provider
    public static class ChunkedBodyInterceptor implements ReaderInterceptor {

        private final jakarta.inject.Provider<Limit> limit;

        public ChunkedBodyInterceptor(jakarta.inject.Provider<Limit> limit) {
            this.limit = limit;
        }

        @Override
        public Object aroundReadFrom(ReaderInterceptorContext context) throws IOException {
            context.setInputStream(
                    new Bounded(context.getInputStream(), limit.get().bytes()));
            return context.proceed();
        }
    }

    /** The body was larger than the limit. */
    public static final class TooLarge extends WebApplicationException {

        TooLarge(long limit) {
            super("request bodies are limited to " + limit + " bytes", 413);
        }
    }

    /**
     * Whether {@code failure} is, or was caused by, a body over the limit: the JSON reader may wrap what the bounded
     * stream threw.
     */
    public static boolean exceeded(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof TooLarge) {
                return true;
            }
        }
        return false;
    }

    /** Fails with 413 once more than {@code limit} bytes were read. */
    static final class Bounded extends FilterInputStream {

        private final long limit;
        private long read;

        Bounded(InputStream in, long limit) {
            super(in);
            this.limit = limit;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count(1);
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = super.read(buffer, offset, length);
            if (n > 0) {
                count(n);
            }
            return n;
        }

        private void count(int n) {
            read += n;
            if (read > limit) {
                throw new TooLarge(limit);
            }
        }
    }
}
