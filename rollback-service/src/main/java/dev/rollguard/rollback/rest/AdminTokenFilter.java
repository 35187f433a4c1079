package dev.rollguard.rollback.rest;

import dev.rollguard.rollback.config.GuardConfig;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * The history API is for operators: it requires the admin token ({@code Authorization: Bearer <token>}). Missing or
 * unknown tokens get 401 UNAUTHENTICATED; the service and client tokens, known but not allowed, get 403 FORBIDDEN.
 */
public class AdminTokenFilter {

    private static final String BEARER = "Bearer ";

    private final byte[] admin;
    private final byte[] service;
    private final byte[] client;

    public AdminTokenFilter(GuardConfig config) {
        this.admin = bytes(config.tokens().admin());
        this.service = bytes(config.tokens().service());
        this.client = bytes(config.tokens().client());
    }

    /** Null lets the request through; a response ends it. */
    @ServerRequestFilter
    public Response authenticate(ContainerRequestContext request) {
        if (!request.getUriInfo().getPath().startsWith("/api/")) {
            return null;
        }
        String header = request.getHeaderString(HttpHeaders.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return ApiExceptionMappers.json(
                    401,
                    new ErrorResponse("UNAUTHENTICATED", "Send the admin token as 'Authorization: Bearer <token>'."));
        }
        // constant-time comparison: response timing must not reveal how much of a guessed token is right
        byte[] token = bytes(header.substring(BEARER.length()).trim());
        if (MessageDigest.isEqual(token, admin)) {
            return null;
        }
        if (MessageDigest.isEqual(token, service) || MessageDigest.isEqual(token, client)) {
            return ApiExceptionMappers.json(
                    403, new ErrorResponse("FORBIDDEN", "The rollback history needs the admin token."));
        }
        return ApiExceptionMappers.json(401, new ErrorResponse("UNAUTHENTICATED", "Unknown token."));
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
