package dev.rollguard.ingest.rest;

import io.quarkus.logging.Log;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Every error leaves as JSON {@code {"code","message"}}; never a stack trace or a class name. */
public class ErrorMappers {

    @ServerExceptionMapper
    public Response api(ApiException e) {
        return json(e.status(), e.body());
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        String code =
                switch (status) {
                    case 401 -> "UNAUTHENTICATED";
                    case 403 -> "FORBIDDEN";
                    case 404 -> "NOT_FOUND";
                    case 405 -> "METHOD_NOT_ALLOWED";
                    case 406 -> "NOT_ACCEPTABLE";
                    case 413 -> "PAYLOAD_TOO_LARGE";
                    case 415 -> "UNSUPPORTED_MEDIA_TYPE";
                    default -> status >= 500 ? "INTERNAL_ERROR" : "BAD_REQUEST";
                };
        String message = status == 413
                ? "the request body is larger than allowed"
                : e.getResponse().getStatusInfo().getReasonPhrase();
        return json(status, new ErrorBody(code, message));
    }

    @ServerExceptionMapper
    public Response unexpected(RuntimeException e) {
        if (BodyLimit.exceeded(e)) {
            return json(413, new ErrorBody("PAYLOAD_TOO_LARGE", "the request body is larger than allowed"));
        }
        Log.error("unexpected error answering a request", e);
        return json(500, new ErrorBody("INTERNAL_ERROR", "the request could not be processed"));
    }

    static Response json(int status, ErrorBody body) {
        return Response.status(status)
                .type(MediaType.APPLICATION_JSON_TYPE)
                .entity(body)
                .build();
    }
}
