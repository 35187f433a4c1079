package dev.rollguard.flag.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.rollguard.flag.service.ApiException;
import io.quarkus.logging.Log;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.ConstraintViolationException;
import jakarta.validation.Path;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.ConnectException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Turns every failure into the JSON error of docs/contracts.md; never a stack trace or a class name. */
public class ErrorMappers {

    @ServerExceptionMapper
    public Response api(ApiException e) {
        return json(e.status(), new ErrorBody(e.code(), e.getMessage(), e.violations()));
    }

    @ServerExceptionMapper
    public Response validation(ConstraintViolationException e) {
        List<ErrorBody.Violation> violations = e.getConstraintViolations().stream()
                .map(v -> new ErrorBody.Violation(field(v), v.getMessage()))
                .sorted(Comparator.comparing(ErrorBody.Violation::field))
                .toList();
        String message = violations.stream()
                .map(v -> v.field() + " " + v.message())
                .reduce((a, b) -> a + "; " + b)
                .orElse("invalid request");
        return json(400, new ErrorBody("VALIDATION_FAILED", message, violations));
    }

    @ServerExceptionMapper
    public Response malformed(JsonProcessingException e) {
        return json(
                400, new ErrorBody("MALFORMED_JSON", "the body is not the expected JSON: " + e.getOriginalMessage()));
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        Throwable cause = e.getCause();
        if (cause instanceof JsonProcessingException json) {
            return malformed(json);
        }
        String code =
                switch (status) {
                    case 400 -> "BAD_REQUEST";
                    case 401 -> "UNAUTHENTICATED";
                    case 403 -> "FORBIDDEN";
                    case 404 -> "NOT_FOUND";
                    case 405 -> "METHOD_NOT_ALLOWED";
                    case 406 -> "NOT_ACCEPTABLE";
                    case 413 -> "PAYLOAD_TOO_LARGE";
                    case 415 -> "UNSUPPORTED_MEDIA_TYPE";
                    default -> status >= 500 ? "INTERNAL" : "REQUEST_FAILED";
                };
        String message = status >= 500 ? "the request failed inside the service" : e.getMessage();
        return json(status, new ErrorBody(code, message));
    }

    @ServerExceptionMapper
    public Response unexpected(Throwable e) {
        if (databaseUnavailable(e)) {
            Log.warnf("database unavailable: %s", e.toString());
            return json(
                    503,
                    new ErrorBody(
                            "UNAVAILABLE",
                            "the flag database is unavailable: changes cannot be saved now (evaluation still works)"));
        }
        Log.error("request failed", e);
        return json(500, new ErrorBody("INTERNAL", "the request failed inside the service"));
    }

    /** Whether the failure is the database being unreachable rather than a bug. */
    static boolean databaseUnavailable(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof ConnectException
                    || t instanceof TimeoutException
                    || t instanceof io.vertx.sqlclient.ClosedConnectionException) {
                return true;
            }
            String name = t.getClass().getName();
            String message = String.valueOf(t.getMessage());
            if (name.startsWith("io.vertx") && (message.contains("Connection refused") || message.contains("closed"))) {
                return true;
            }
        }
        return false;
    }

    private static String field(ConstraintViolation<?> violation) {
        // Paths look like "create.request.rolloutPercentage": drop the method and parameter names.
        List<String> names = new ArrayList<>();
        for (Path.Node node : violation.getPropertyPath()) {
            names.add(node.getName() == null ? "" : node.getName());
        }
        List<String> tail = names.size() > 2 ? names.subList(2, names.size()) : names;
        String field = String.join(".", tail);
        return field.isEmpty() ? "body" : field;
    }

    static Response json(int status, ErrorBody body) {
        return Response.status(status)
                .type(MediaType.APPLICATION_JSON_TYPE)
                .entity(body)
                .build();
    }
}
