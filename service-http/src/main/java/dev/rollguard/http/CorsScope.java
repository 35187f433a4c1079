package dev.rollguard.http;

import io.quarkus.vertx.http.runtime.filters.Filters;
import io.quarkus.vertx.http.runtime.security.SecurityHandlerPriorities;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Singleton;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Keeps cross-origin access to the paths a service opens to browsers (its {@link Paths}). Quarkus' CORS filter
 * ({@code quarkus.http.cors.*}) is global; before it runs, this filter takes the {@code Origin} header off every
 * other request, so the admin API, the health report and the other endpoints are never granted to a page of another
 * origin (no {@code Access-Control-Allow-*} header, preflights included), and strips any such header from those
 * answers as a second line.
 *
 * <p>On the granted paths it answers a request from an origin not listed with 403 {@code ORIGIN_NOT_ALLOWED} as
 * JSON (Quarkus' filter would answer it with an empty body). It also refuses to start with an origin list Rollguard
 * does not support: only exact origins ({@code https://app.example.com}), or {@code *} alone; no patterns.
 *
 * <p>A service opens paths to browsers by producing one {@link Paths} bean; this module's bean archive does the rest.
 * A service that produces none keeps Quarkus' CORS handling untouched.
 */
@Singleton
public class CorsScope {

    /** The paths that browsers on other origins may call: every path under {@code path}, or {@code path} alone. */
    public record Paths(String path, boolean prefix) {

        /** Every path that starts with {@code prefix}. */
        public static Paths under(String prefix) {
            return new Paths(prefix, true);
        }

        /** The one path {@code path}. */
        public static Paths exactly(String path) {
            return new Paths(path, false);
        }

        /** Whether browsers on other origins may call {@code normalizedPath}. */
        public boolean cover(String normalizedPath) {
            return prefix ? normalizedPath.startsWith(path) : normalizedPath.equals(path);
        }
    }

    private static final String FORBIDDEN_ORIGIN = "{\"code\":\"ORIGIN_NOT_ALLOWED\",\"message\":\"pages of this"
            + " origin may not call this service: list the origin in quarkus.http.cors.origins"
            + " (QUARKUS_HTTP_CORS_ORIGINS; ROLLGUARD_CORS_ORIGINS for bin/rollguard up;"
            + " docs/contracts.md, Browsers)\"}";

    private final Instance<Paths> paths;
    private final boolean enabled;
    private final Optional<List<String>> origins;

    public CorsScope(
            Instance<Paths> paths,
            @ConfigProperty(name = "quarkus.http.cors.enabled", defaultValue = "false") boolean enabled,
            @ConfigProperty(name = "quarkus.http.cors.origins") Optional<List<String>> origins) {
        this.paths = paths;
        this.enabled = enabled;
        this.origins = origins;
    }

    void register(@Observes Filters filters) {
        if (!enabled || !paths.isResolvable()) {
            return;
        }
        Paths scope = paths.get();
        checkOrigins(origins.orElse(List.of()));
        filters.register(
                rc -> {
                    HttpServerRequest request = rc.request();
                    if (scope.cover(rc.normalizedPath())) {
                        String origin = request.getHeader(HttpHeaders.ORIGIN);
                        if (origin != null && !allowed(origin, request)) {
                            // Quarkus' filter would answer this 403 with an empty body; the contract wants JSON.
                            rc.response()
                                    .setStatusCode(403)
                                    .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                                    .putHeader(HttpHeaders.VARY, HttpHeaders.ORIGIN)
                                    .end(FORBIDDEN_ORIGIN);
                            return;
                        }
                    } else {
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

    /** A listed origin, any with {@code *}, or the service's own (a page it serves, such as the Swagger UI). */
    private boolean allowed(String origin, HttpServerRequest request) {
        List<String> list = origins.orElse(List.of());
        return list.contains("*") || list.contains(origin) || sameOrigin(origin, request);
    }

    static boolean sameOrigin(String origin, HttpServerRequest request) {
        try {
            URI self = new URI(request.absoluteURI());
            URI other = new URI(origin);
            return self.getScheme().equalsIgnoreCase(String.valueOf(other.getScheme()))
                    && self.getHost().equalsIgnoreCase(String.valueOf(other.getHost()))
                    && port(self) == port(other);
        } catch (URISyntaxException | RuntimeException e) {
            return false;
        }
    }

    private static int port(URI uri) {
        return uri.getPort() != -1 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
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
