package dev.rollguard.rollback.rest;

import dev.rollguard.rollback.config.GuardConfig;
import io.quarkus.vertx.http.runtime.filters.Filters;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.ext.Provider;
import jakarta.ws.rs.ext.ReaderInterceptor;
import jakarta.ws.rs.ext.ReaderInterceptorContext;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Request bodies over {@code rollback-service.http.max-body-bytes} bytes are answered 413 {@code PAYLOAD_TOO_LARGE} with the JSON error of the API,
 * whether the client announced the length or sent the body in chunks. The HTTP layer's own limit
 * ({@code quarkus.http.limits.max-body-size}) is set above this one as a backstop: its 413 has an empty body.
 */
public final class BodyLimit {

    private BodyLimit() {}

    /** A body announced larger than the limit is refused before anything reads it. */
    @ApplicationScoped
    public static class LengthFilter {

        private final long limit;

        public LengthFilter(GuardConfig config) {
            this.limit = config.http().maxBodyBytes();
        }

        void register(@Observes Filters filters) {
            filters.register(
                    context -> {
                        String length = context.request().getHeader("Content-Length");
                        if (length != null && tooLarge(length)) {
                            context.response()
                                    .setStatusCode(413)
                                    .putHeader("Content-Type", "application/json")
                                    .putHeader("Connection", "close")
                                    .end(body(limit));
                            return;
                        }
                        context.next();
                    },
                    // Before every other handler, so nothing starts reading the body.
                    Integer.MAX_VALUE);
        }

        private boolean tooLarge(String length) {
            try {
                return Long.parseLong(length.strip()) > limit;
            } catch (NumberFormatException e) {
                return false;
            }
        }
    }

    /**
     * A chunked body is counted as it is read, and refused at the first byte over the limit. The configuration is
     * looked up per request: interceptors are created while the application is built, before it exists.
     */
    @Provider
    public static class ChunkedBodyInterceptor implements ReaderInterceptor {

        private final jakarta.inject.Provider<GuardConfig> config;

        public ChunkedBodyInterceptor(jakarta.inject.Provider<GuardConfig> config) {
            this.config = config;
        }

        @Override
        public Object aroundReadFrom(ReaderInterceptorContext context) throws IOException {
            context.setInputStream(
                    new Bounded(context.getInputStream(), config.get().http().maxBodyBytes()));
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

    static String body(long limit) {
        return "{\"code\":\"PAYLOAD_TOO_LARGE\",\"message\":\"request bodies are limited to " + limit + " bytes\"}";
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
