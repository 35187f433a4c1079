package dev.rollguard.ingest.rest;

import io.quarkus.vertx.http.runtime.filters.Filters;
import io.quarkus.vertx.http.runtime.security.SecurityHandlerPriorities;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.util.Arrays;

/**
 * {@code Vary: Origin} on every answer of the telemetry intake that grants one origin (preflights, posts, refusals
 * alike): the grant names the page's origin, so a shared cache that kept the answer for one page must not hand it to
 * a page of another origin (Fetch standard, "CORS protocol and HTTP caches"). Quarkus' CORS filter sets the grant but
 * not the header.
 */
@Singleton
public class CorsVary {

    void register(@Observes Filters filters) {
        filters.register(
                rc -> {
                    if (rc.request().getHeader(HttpHeaders.ORIGIN) != null
                            && CorsPaths.TELEMETRY.equals(rc.normalizedPath())) {
                        rc.addHeadersEndHandler(v -> {
                            MultiMap headers = rc.response().headers();
                            String granted = headers.get(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN);
                            if (granted != null && !granted.equals("*") && !variesByOrigin(headers)) {
                                headers.add(HttpHeaders.VARY, "Origin");
                            }
                        });
                    }
                    rc.next();
                },
                // Before Quarkus' CORS filter, which ends a preflight itself, and before service-http's CorsScope.
                SecurityHandlerPriorities.CORS + 2);
    }

    private static boolean variesByOrigin(MultiMap headers) {
        return headers.getAll(HttpHeaders.VARY).stream()
                .flatMap(value -> Arrays.stream(value.split(",")))
                .anyMatch(name ->
                        name.strip().equalsIgnoreCase("Origin") || name.strip().equals("*"));
    }
}
