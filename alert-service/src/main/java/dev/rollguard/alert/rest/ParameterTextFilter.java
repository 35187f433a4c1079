package dev.rollguard.alert.rest;

import dev.rollguard.alert.api.CleanText;
import dev.rollguard.http.error.ErrorBody;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Map;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * The {@link CleanText} check of path and query parameters: an id or a filter with a NUL would otherwise reach a
 * PostgreSQL query and fail there. Answered 400 {@code INVALID_CHARACTER} naming the parameter.
 */
public class ParameterTextFilter {

    @ServerRequestFilter
    public Response check(ContainerRequestContext request) {
        Response refused = check(request.getUriInfo().getPathParameters());
        return refused != null ? refused : check(request.getUriInfo().getQueryParameters());
    }

    private static Response check(MultivaluedMap<String, String> parameters) {
        for (Map.Entry<String, List<String>> parameter : parameters.entrySet()) {
            for (String value : parameter.getValue()) {
                int index = CleanText.Check.firstRefused(value, false);
                if (index >= 0) {
                    String field = JsonMessages.printable(parameter.getKey());
                    String message = CleanText.Check.describe(value, index, false);
                    return Response.status(400)
                            .type(MediaType.APPLICATION_JSON_TYPE)
                            .entity(new ErrorBody(
                                    "INVALID_CHARACTER",
                                    field + ": " + message,
                                    List.of(new ErrorBody.Violation(field, message))))
                            .build();
                }
            }
        }
        return null;
    }
}
