package dev.rollguard.ingest.rest;

import dev.rollguard.http.error.ErrorBody;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;

/**
 * The 406 of the health report names both types it answers: service-http's 406 says "application/json only", which is
 * not so of this path, whose boxed text a client asks for with {@code Accept: text/plain}. A response filter, as the
 * HTTP layer throws the 406 with either of two exception types before any method of the path runs.
 */
public class HealthReportNotAcceptable {

    @ServerResponseFilter
    public void name(ContainerRequestContext request, ContainerResponseContext response) {
        if (response.getStatus() == 406
                && HealthReportResource.PATH.equals(
                        withoutTrailingSlash(request.getUriInfo().getPath()))) {
            response.setEntity(new ErrorBody(
                    "NOT_ACCEPTABLE",
                    request.getMethod() + " " + HealthReportResource.PATH
                            + " answers application/json, or text/plain for the boxed text report"));
        }
    }

    /** The path as the resource matches it: JAX-RS takes {@code /api/health-report/} for the same resource. */
    private static String withoutTrailingSlash(String path) {
        return path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    }
}
