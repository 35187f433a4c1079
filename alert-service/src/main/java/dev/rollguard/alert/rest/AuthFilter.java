package dev.rollguard.alert.rest;

import dev.rollguard.alert.config.AlertConfig;
import dev.rollguard.http.BearerTokens;
import dev.rollguard.http.error.ErrorBody;
import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
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
        String token = BearerTokens.fromAuthorization(request.getHeaderString(HttpHeaders.AUTHORIZATION));
        if (token == null) {
            return error(401, "UNAUTHENTICATED", BearerTokens.MISSING);
        }
        if (BearerTokens.matches(config.auth().adminToken(), token)) {
            return null;
        }
        if (BearerTokens.matchesAny(config.auth().inboundTokens().orElse(List.of()), token)) {
            // An inbound token sits in another system's configuration (an Alertmanager's webhook): it may post
            // alerts and do nothing else.
            if (HttpMethod.POST.equals(request.getMethod()) && path.equals(InboundAlertResource.PATH)) {
                return null;
            }
            return error(403, "FORBIDDEN", "this token may only post alerts to " + InboundAlertResource.PATH);
        }
        if (!BearerTokens.matchesAny(config.auth().readTokens().orElse(List.of()), token)) {
            return error(401, "UNAUTHENTICATED", BearerTokens.UNKNOWN);
        }
        String method = request.getMethod();
        if (HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method)) {
            return null;
        }
        return error(403, "FORBIDDEN", "this token may read but not change anything");
    }

    private static Response error(int status, String code, String message) {
        return Response.status(status)
                .type(MediaType.APPLICATION_JSON_TYPE)
                .entity(new ErrorBody(code, message))
                .build();
    }
}
