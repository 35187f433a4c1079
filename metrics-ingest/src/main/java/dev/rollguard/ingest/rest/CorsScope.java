package dev.rollguard.ingest.rest;

import io.quarkus.vertx.http.runtime.filters.Filters;
import io.quarkus.vertx.http.runtime.security.SecurityHandlerPriorities;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Keeps cross-origin access to the telemetry intake ({@code POST} {@value #SCOPE}). Quarkus' CORS filter
 * ({@code quarkus.http.cors.*}) is global; before it runs, this filter takes the {@code Origin} header off every
 * other request, so the health report and the other admin endpoints are never granted to a page of another origin
 * (no {@code Access-Control-Allow-*} header, preflights included), and strips any such header from those answers as
 * a second line. The same filter guards the flag-service's OFREP endpoints.
 *
 * <p>It also refuses to start with an origin list Rollguard does not support: only exact origins
 * ({@code https://app.example.com}), or {@code *} alone; no patterns.
 */
@Singleton
public class CorsScope {

    /** The one path that browsers on other origins may call. */
    public static final String SCOPE = "/api/telemetry";

    private final boolean enabled;
    private final Optional<List<String>> origins;

    public CorsScope(
            @ConfigProperty(name = "quarkus.http.cors.enabled", defaultValue = "false") boolean enabled,
            @ConfigProperty(name = "quarkus.http.cors.origins") Optional<List<String>> origins) {
        this.enabled = enabled;
        this.origins = origins;
    }

    void register(@Observes Filters filters) {
        if (!enabled) {
            return;
        }
        checkOrigins(origins.orElse(List.of()));
        filters.register(
                rc -> {
                    if (!rc.normalizedPath().equals(SCOPE)) {
                        HttpServerRequest request = rc.request();
                        request.headers().remove(HttpHeaders.ORIGIN);
                        rc.response().headersEndHandler(v -> rc.response().headers().names().stream()
                                .filter(name -> name.regionMatches(true, 0, "Access-Control-", 0, 15))
                                .toList()
                                .forEach(rc.response().headers()::remove));
                    }
                    rc.next();
                },
                SecurityHandlerPriorities.CORS + 1);
    }

    /** Exact origins (scheme, host, optional port; nothing else) or {@code *} alone; else start-up fails. */
    static void checkOrigins(List<String> origins) {
        for (String origin : origins) {
            if (origin.equals("*")) {
                if (origins.size() > 1) {
                    throw new IllegalStateException(
                            "quarkus.http.cors.origins: '*' allows every origin and must be" + " the only entry");
                }
                continue;
            }
            if (!isExactOrigin(origin)) {
                throw new IllegalStateException("quarkus.http.cors.origins: '" + origin + "' is not an origin like"
                        + " https://app.example.com (scheme, host and optional port; no path, no pattern)");
            }
        }
    }

    private static boolean isExactOrigin(String origin) {
        try {
            URI uri = new URI(origin);
            return ("https".equals(uri.getScheme()) || "http".equals(uri.getScheme()))
                    && uri.getHost() != null
                    && uri.getRawUserInfo() == null
                    && (uri.getRawPath() == null || uri.getRawPath().isEmpty())
                    && uri.getRawQuery() == null
                    && uri.getRawFragment() == null
                    && origin.equals(uri.getScheme() + "://" + uri.getRawAuthority());
        } catch (URISyntaxException e) {
            return false;
        }
    }
}
