package dev.rollguard.rollback.rest;

import dev.rollguard.http.BearerTokens;
import dev.rollguard.http.error.ErrorBody;
import dev.rollguard.http.error.ErrorMappers;
import dev.rollguard.rollback.config.GuardConfig;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * The history API is for operators: it requires the admin token ({@code Authorization: Bearer <token>}). Missing or
 * unknown tokens get 401 UNAUTHENTICATED; the service and client tokens, known but not allowed, get 403 FORBIDDEN.
 */
public class AdminTokenFilter {

    private final String admin;
    private final String service;
    private final String client;

    public AdminTokenFilter(GuardConfig config) {
        this.admin = config.tokens().admin();
        this.service = config.tokens().service();
        this.client = config.tokens().client();
    }

    /** Null lets the request through; a response ends it. */
    @ServerRequestFilter
    public Response authenticate(ContainerRequestContext request) {
        if (!request.getUriInfo().getPath().startsWith("/api/")) {
            return null;
        }
        String token = BearerTokens.fromAuthorization(request.getHeaderString(HttpHeaders.AUTHORIZATION));
        if (token == null) {
            return ErrorMappers.json(401, new ErrorBody("UNAUTHENTICATED", BearerTokens.MISSING));
        }
        if (BearerTokens.matches(admin, token)) {
            return null;
        }
        if (BearerTokens.matches(service, token) || BearerTokens.matches(client, token)) {
            return ErrorMappers.json(403, new ErrorBody("FORBIDDEN", "the rollback history needs the admin token"));
        }
        return ErrorMappers.json(401, new ErrorBody("UNAUTHENTICATED", BearerTokens.UNKNOWN));
    }
}
