package dev.rollguard.ingest.rest;

import dev.rollguard.http.BearerTokens;
import dev.rollguard.http.error.ErrorBody;
import dev.rollguard.http.error.ErrorMappers;
import dev.rollguard.ingest.config.IngestConfig;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Bearer-token check of the endpoints marked {@link ProducerAccess} or {@link AdminAccess}. Tokens come from the
 * environment (ROLLGUARD_PRODUCER_TOKEN, ROLLGUARD_ADMIN_TOKEN); an unset token accepts nobody. Compared in constant
 * time so the answer time does not leak how much of a guess was right. A 401 names the scheme to use, and says
 * {@code error="invalid_token"} when the token given was refused.
 */
public class TokenFilter {

    /** The challenge of every 401 (RFC 9110 15.5.2 requires one; RFC 6750 3 says what a bearer challenge holds). */
    static final String CHALLENGE = "Bearer realm=\"rollguard\"";

    private final IngestConfig config;

    public TokenFilter(IngestConfig config) {
        this.config = config;
    }

    @ServerRequestFilter
    public Response check(ContainerRequestContext request, ResourceInfo resource) {
        boolean admin = annotated(resource, AdminAccess.class);
        boolean producer = annotated(resource, ProducerAccess.class);
        if (!admin && !producer) {
            return null;
        }
        String token = BearerTokens.fromAuthorization(request.getHeaderString(HttpHeaders.AUTHORIZATION));
        if (token == null) {
            return unauthenticated(BearerTokens.MISSING, CHALLENGE);
        }
        boolean isAdmin = BearerTokens.matches(config.auth().adminToken(), token);
        boolean isProducer = BearerTokens.matches(config.auth().producerToken(), token);
        if (isAdmin || (producer && isProducer)) {
            return null;
        }
        if (isProducer) {
            return ErrorMappers.json(403, new ErrorBody("FORBIDDEN", "the producer token may only post telemetry"));
        }
        return unauthenticated(BearerTokens.UNKNOWN, CHALLENGE + ", error=\"invalid_token\"");
    }

    private static Response unauthenticated(String message, String challenge) {
        return Response.fromResponse(ErrorMappers.json(401, new ErrorBody("UNAUTHENTICATED", message)))
                .header(HttpHeaders.WWW_AUTHENTICATE, challenge)
                .build();
    }

    private static boolean annotated(ResourceInfo resource, Class<? extends java.lang.annotation.Annotation> type) {
        return resource.getResourceMethod() != null
                && (resource.getResourceMethod().isAnnotationPresent(type)
                        || resource.getResourceClass().isAnnotationPresent(type));
    }
}
