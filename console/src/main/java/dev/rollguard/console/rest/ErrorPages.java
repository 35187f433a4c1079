package dev.rollguard.console.rest;

import dev.rollguard.console.session.CurrentSession;
import io.quarkus.logging.Log;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Every failure the console itself answers: the error page for a page request, the JSON error of
 * docs/contracts.md ({@code {code, message}}) for the live streams and {@code .json} data. Never a stack trace.
 */
public class ErrorPages {

    /** The JSON error of the console's data endpoints. */
    public record ErrorBody(String code, String message) {}

    private final CurrentSession current;

    public ErrorPages(CurrentSession current) {
        this.current = current;
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e, ContainerRequestContext request) {
        int status = e.getResponse().getStatus();
        String where = request.getMethod() + " " + request.getUriInfo().getPath();
        return switch (status) {
            case 400 ->
                respond(request, 400, "BAD_REQUEST", "Bad request", "The form sent to " + where + " is not valid.");
            case 404 -> respond(request, 404, "NOT_FOUND", "Not found", "There is no page at " + where + ".");
            case 405 ->
                respond(request, 405, "METHOD_NOT_ALLOWED", "Not allowed", where + " is not something this page does.");
            case 406 ->
                respond(
                        request,
                        406,
                        "NOT_ACCEPTABLE",
                        "Not acceptable",
                        where + " cannot answer in the format asked for.");
            case 413 ->
                respond(request, 413, "PAYLOAD_TOO_LARGE", "Too large", "The form sent to " + where + " is too large.");
            case 415 ->
                respond(request, 415, "UNSUPPORTED_MEDIA_TYPE", "Unsupported form", where + " takes an HTML form.");
            default ->
                status >= 500
                        ? unexpected(e, request)
                        : respond(request, status, "REQUEST_FAILED", "Request failed", where + " failed.");
        };
    }

    @ServerExceptionMapper
    public Response unexpected(Throwable e, ContainerRequestContext request) {
        Log.error("request failed", e);
        return respond(request, 500, "INTERNAL", "Something went wrong", "The console could not answer this request.");
    }

    private Response respond(ContainerRequestContext request, int status, String code, String title, String message) {
        if (wantsJson(request.getUriInfo().getPath())) {
            return json(status, code, message);
        }
        return FlagPagesResource.html(
                status, Pages.error(current.get(), title, message).render());
    }

    /** Whether {@code path} is one of the data endpoints that script code reads (live streams, series). */
    public static boolean wantsJson(String path) {
        return path.startsWith("/live/") || path.endsWith(".json");
    }

    public static Response json(int status, String code, String message) {
        return Response.status(status)
                .type(MediaType.APPLICATION_JSON_TYPE)
                .entity(new ErrorBody(code, message))
                .build();
    }
}
