package dev.rollguard.flag.rest;

import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.vertx.http.runtime.filters.Filters;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Locale;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Answers bodies over quarkus.http.limits.max-body-size with 413 and the JSON error of the API (the HTTP layer's own
 * 413 has an empty body). A body with a Content-Length is refused before it is read; a chunked HTTP/1.1 body is read
 * here, up to the limit, and refused as soon as it passes it.
 */
@ApplicationScoped
public class BodyLimitFilter {

    private static final String BODY =
            "{\"code\":\"PAYLOAD_TOO_LARGE\",\"message\":\"request bodies are limited to %d bytes\"}";

    private final long limit;
    private final BodyHandler chunkedReader;

    public BodyLimitFilter(@ConfigProperty(name = "quarkus.http.limits.max-body-size") MemorySize limit) {
        this.limit = limit.asLongValue();
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
                    } else if (mayHaveBody(context.request().method()) && unsizedBody(context)) {
                        // Chunked (or HTTP/2) without a length: read here for the REST layer, which takes the body as
                        // read, failing with 413 past the limit.
                        chunkedReader.handle(context);
                    } else {
                        context.next();
                    }
                },
                // Before everything else, so nothing starts reading the body.
                Integer.MAX_VALUE);
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
                .end(BODY.formatted(limit));
    }

    /**
     * Whether a request without Content-Length carries a body this filter must measure: chunked over HTTP/1.1. A
     * request with neither has no body (a DELETE with a query, say), and an HTTP/2 one (such as a Java client's after
     * its h2c upgrade) may have none either: reading either here would leave the REST layer a request already read.
     * Their size is bounded by the HTTP layer's own limit.
     */
    private static boolean unsizedBody(RoutingContext context) {
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
}
