package dev.rollguard.flag.rest;

import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.vertx.http.runtime.filters.Filters;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Answers bodies over quarkus.http.limits.max-body-size with 413 and the JSON error of the API, before the body is
 * read (the HTTP layer's own 413 has an empty body).
 */
@ApplicationScoped
public class BodyLimitFilter {

    private static final String BODY =
            "{\"code\":\"PAYLOAD_TOO_LARGE\",\"message\":\"request bodies are limited to %d bytes\"}";

    private final long limit;

    public BodyLimitFilter(@ConfigProperty(name = "quarkus.http.limits.max-body-size") MemorySize limit) {
        this.limit = limit.asLongValue();
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
                                .end(BODY.formatted(limit));
                        return;
                    }
                    context.next();
                },
                // Before everything else, so nothing starts reading the body.
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
