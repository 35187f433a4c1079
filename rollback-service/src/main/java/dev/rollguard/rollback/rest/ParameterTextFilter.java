package dev.rollguard.rollback.rest;

import dev.rollguard.http.error.ErrorBody;
import dev.rollguard.http.error.ErrorMappers;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Map;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * The {@link CleanText} check of every path and query parameter, before any resource method runs: answered 400
 * {@code INVALID_CHARACTER} naming the parameter.
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
                int index = CleanText.firstRefused(value);
                if (index >= 0) {
                    String field = CleanText.firstRefused(parameter.getKey()) < 0 ? parameter.getKey() : "parameter";
                    String message = CleanText.describe(value, index);
                    return ErrorMappers.json(
                            400,
                            new ErrorBody(
                                    "INVALID_CHARACTER",
                                    field + ": " + message,
                                    List.of(new ErrorBody.Violation(field, message))));
                }
            }
        }
        return null;
    }
}
