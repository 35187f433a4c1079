package dev.rollguard.alert.rest;

import dev.rollguard.alert.config.AlertConfig;
import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Bearer-token check of {@code /api}: the admin token may do everything; read tokens may only read. No or an unknown
 * token: 401 UNAUTHENTICATED; a read token on a write: 403 FORBIDDEN. Inbound tokens may only post alerts to {@link
 * InboundAlertResource#PATH} (403 FORBIDDEN elsewhere).
 */
public class AuthFilter {

    private final AlertConfig config;

    public AuthFilter(AlertConfig config) {
        this.config = config;
    }

    @ServerRequestFilter
    public Response authenticate(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        if (!path.equals("/api") && !path.startsWith("/api/")) {
            return null;
        }
        String token = bearer(request.getHeaderString(HttpHeaders.AUTHORIZATION));
        if (token == null) {
            return error(401, "UNAUTHENTICATED", "missing 'Authorization: Bearer <token>'");
        }
        if (config.auth().adminToken().map(admin -> same(admin, token)).orElse(false)) {
            return null;
        }
        if (config.auth().inboundTokens().orElse(List.of()).stream().anyMatch(t -> same(t, token))) {
            // An inbound token sits in another system's configuration (an Alertmanager's webhook): it may post
            // alerts and do nothing else.
            if (HttpMethod.POST.equals(request.getMethod()) && path.equals(InboundAlertResource.PATH)) {
                return null;
            }
            return error(403, "FORBIDDEN", "this token may only post alerts to " + InboundAlertResource.PATH);
        }
        boolean reader = config.auth().readTokens().orElse(List.of()).stream().anyMatch(t -> same(t, token));
        if (!reader) {
            return error(401, "UNAUTHENTICATED", "unknown token");
        }
        String method = request.getMethod();
        if (HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method)) {
            return null;
        }
        return error(403, "FORBIDDEN", "this token may read but not change anything");
    }

    private static String bearer(String header) {
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String token = header.substring(7).strip();
        return token.isEmpty() ? null : token;
    }

    /** Constant-time comparison, so response times do not leak how much of a token was right. */
    private static boolean same(String expected, String given) {
        return !expected.isBlank()
                && MessageDigest.isEqual(
                        expected.getBytes(StandardCharsets.UTF_8), given.getBytes(StandardCharsets.UTF_8));
    }

    private static Response error(int status, String code, String message) {
        return Response.status(status)
                .type(MediaType.APPLICATION_JSON_TYPE)
                .entity(ErrorResponse.of(code, message))
                .build();
    }
}
