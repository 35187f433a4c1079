package dev.rollguard.rollback.rest;

import io.quarkus.logging.Log;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.ConstraintViolationException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Comparator;
import java.util.List;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Turns every failure of a request into the JSON error of the contract; never a stack trace or a class name. */
public class ApiExceptionMappers {

    @ServerExceptionMapper
    public Response api(ApiException e) {
        return json(e.status(), new ErrorResponse(e.code(), e.getMessage(), e.violations()));
    }

    @ServerExceptionMapper
    public Response validation(ConstraintViolationException e) {
        List<ErrorResponse.Violation> violations = e.getConstraintViolations().stream()
                .map(v -> new ErrorResponse.Violation(field(v), v.getMessage()))
                .sorted(Comparator.comparing(ErrorResponse.Violation::field))
                .toList();
        return json(400, new ErrorResponse("VALIDATION_FAILED", "The request is invalid.", violations));
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
                    case 406, 415 -> "UNSUPPORTED_MEDIA_TYPE";
                    case 413 -> "PAYLOAD_TOO_LARGE";
                    default -> status < 500 ? "BAD_REQUEST" : "INTERNAL";
                };
        return json(status, new ErrorResponse(code, status < 500 ? e.getMessage() : "The request failed."));
    }

    @ServerExceptionMapper
    public Response unexpected(Exception e) {
        if (BodyLimit.exceeded(e)) {
            return json(413, new ErrorResponse("PAYLOAD_TOO_LARGE", "The request body is larger than allowed."));
        }
        if (DatabaseFailures.unavailable(e)) {
            Log.warnf("database unavailable while serving a request: %s", DatabaseFailures.summary(e));
            return json(
                    503,
                    new ErrorResponse(
                            "UNAVAILABLE", "The rollback history is unavailable (database down); retry later."));
        }
        Log.error("request failed", e);
        return json(500, new ErrorResponse("INTERNAL", "The request failed; see the service log."));
    }

    private static String field(ConstraintViolation<?> violation) {
        // "list.limit" -> "limit": the method name means nothing to the caller.
        String path = violation.getPropertyPath().toString();
        int dot = path.lastIndexOf('.');
        return dot < 0 ? path : path.substring(dot + 1);
    }

    static Response json(int status, ErrorResponse body) {
        return Response.status(status)
                .type(MediaType.APPLICATION_JSON)
                .entity(body)
                .build();
    }
}
