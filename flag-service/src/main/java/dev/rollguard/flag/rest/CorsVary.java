package dev.rollguard.flag.rest;

import io.quarkus.vertx.http.runtime.filters.Filters;
import io.quarkus.vertx.http.runtime.security.SecurityHandlerPriorities;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

/**
 * {@code Vary: Origin} on every answer of the browser paths ({@link CorsPaths}) that grants one origin: Quarkus' CORS
 * filter names the requesting origin in {@code Access-Control-Allow-Origin} (preflight, request, 304) without it, so
 * a shared cache could hand the answer granted to one page to a page of another origin, which its browser then
 * refuses (Fetch standard, "CORS protocol and HTTP caches"). Added as the headers are written, after the CORS filter
 * and the resource have set theirs.
 */
@Singleton
public class CorsVary {

    void register(@Observes Filters filters) {
        filters.register(
                rc -> {
                    if (rc.normalizedPath().startsWith(CorsPaths.OFREP)) {
                        HttpServerResponse response = rc.response();
                        // Not response().headersEndHandler: that holds one handler, which a later one would replace.
                        rc.addHeadersEndHandler(ignored -> vary(response));
                    }
                    rc.next();
                },
                // Before service-http's CorsScope (CORS + 1), which ends the refusals itself.
                SecurityHandlerPriorities.CORS + 2);
    }

    private static void vary(HttpServerResponse response) {
        String granted = response.headers().get(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN);
        if (granted == null || granted.equals("*")) {
            return;
        }
        for (String vary : response.headers().getAll(HttpHeaders.VARY)) {
            for (String name : vary.split(",")) {
                if (name.strip().equalsIgnoreCase("Origin") || name.strip().equals("*")) {
                    return;
                }
            }
        }
        response.headers().add(HttpHeaders.VARY, "Origin");
    }
}
