package dev.rollguard.flag.rest;

import dev.rollguard.flag.api.TextRules;
import dev.rollguard.http.error.ErrorBody;
import dev.rollguard.http.error.ErrorMappers;
import io.vertx.ext.web.RoutingContext;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Refuses a path holding a ';'. JAX-RS reads {@code ;name=value} in a path segment as matrix parameters and leaves
 * them out of the path parameter, so {@code /api/flags/x;y=1} would read or change flag {@code x}, and
 * {@code /ofrep/v1/evaluate/flags/a;b} evaluate {@code a}: a request for one flag acting on another. No key or token
 * name holds a ';' ({@link dev.rollguard.flag.api.FlagKeys}), and no endpoint reads matrix parameters, so such a path
 * names nothing served here. The raw path is read, before JAX-RS matches it; an escaped {@code %3B} reaches the key
 * as it is, which then names no flag.
 */
public class MatrixParameterFilter {

    private static final String OFREP_SINGLE = OfrepResource.EVALUATE_FLAG_PATH;

    @ServerRequestFilter(preMatching = true)
    public Response refuse(RoutingContext routing) {
        String path = routing.request().path();
        if (path == null || path.indexOf(';') < 0) {
            return null;
        }
        if (path.startsWith(OFREP_SINGLE) && path.indexOf('/', OFREP_SINGLE.length()) < 0) {
            String key = TextRules.visible(path.substring(OFREP_SINGLE.length()));
            return Response.status(404)
                    .type(MediaType.APPLICATION_JSON_TYPE)
                    .entity(OfrepResource.ErrorResponse.of(
                            key,
                            "FLAG_NOT_FOUND",
                            "flag '" + key + "' not found: a flag key cannot contain ';' (matrix parameters are not"
                                    + " read)"))
                    .build();
        }
        return ErrorMappers.json(
                400,
                new ErrorBody(
                        "INVALID_PARAMETER",
                        "the path " + TextRules.visible(path)
                                + " holds a ';': no key or name contains one, and matrix parameters"
                                + " (;name=value) are not read"));
    }
}
