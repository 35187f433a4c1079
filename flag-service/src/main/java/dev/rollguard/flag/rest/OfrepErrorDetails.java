package dev.rollguard.flag.rest;

import dev.rollguard.http.error.ErrorBody;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;

/**
 * Gives the server errors of the OFREP endpoints the body OFREP specifies ({@code generalErrorResponse}:
 * {@code errorDetails}, which OFREP providers read), beside the {@code code} and {@code message} of every Rollguard
 * error. service-http's mappers answer every path alike with {@code {code, message}}; the OFREP paths are this service's
 * own, so the shape is fixed here, after them.
 */
public class OfrepErrorDetails {

    /** The OpenFeature error code of an error that is not the request's fault. */
    static final String GENERAL = "GENERAL";

    @ServerResponseFilter
    public void addErrorDetails(ContainerRequestContext request, ContainerResponseContext response) {
        if (response.getStatus() >= 500
                && response.getEntity() instanceof ErrorBody error
                && isOfrep(request.getUriInfo().getPath())) {
            response.setEntity(
                    new OfrepResource.ErrorResponse(null, GENERAL, error.message(), error.code(), error.message()));
        }
    }

    static boolean isOfrep(String path) {
        String absolute = path.startsWith("/") ? path : "/" + path;
        return absolute.startsWith(CorsPaths.OFREP);
    }
}
