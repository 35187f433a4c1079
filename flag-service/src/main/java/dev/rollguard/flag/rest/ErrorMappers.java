package dev.rollguard.flag.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import dev.rollguard.flag.service.ApiException;
import io.quarkus.logging.Log;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.ConstraintViolationException;
import jakarta.validation.ElementKind;
import jakarta.validation.Path;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.UncheckedIOException;
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
        return json(e.status(), new ErrorBody(e.code(), e.getMessage(), e.violations(), e.problems()));
    }

    @ServerExceptionMapper
    public Response validation(ConstraintViolationException e) {
        List<ErrorBody.Violation> characters = new ArrayList<>();
        List<ErrorBody.Violation> others = new ArrayList<>();
        for (ConstraintViolation<?> violation : e.getConstraintViolations()) {
            ErrorBody.Violation v = new ErrorBody.Violation(field(violation), violation.getMessage());
            (violation.getConstraintDescriptor().getAnnotation() instanceof CleanText ? characters : others).add(v);
        }
        return json(400, invalid(characters, others));
    }

    /**
     * 400 for the violations of a request: {@code INVALID_CHARACTER}, naming those fields, when any field holds a
     * control character; {@code VALIDATION_FAILED} otherwise. Every violation is listed either way.
     */
    static ErrorBody invalid(List<ErrorBody.Violation> characters, List<ErrorBody.Violation> others) {
        List<ErrorBody.Violation> all = new ArrayList<>(characters);
        all.addAll(others);
        List<ErrorBody.Violation> sorted = all.stream()
                .distinct()
                .sorted(Comparator.comparing(ErrorBody.Violation::field).thenComparing(ErrorBody.Violation::message))
                .toList();
        String message = sorted.stream()
                .filter(v -> characters.isEmpty() || characters.contains(v))
                .map(v -> v.field() + " " + v.message())
                .distinct()
                .reduce((a, b) -> a + "; " + b)
                .orElse("invalid request");
        return new ErrorBody(characters.isEmpty() ? "VALIDATION_FAILED" : "INVALID_CHARACTER", message, sorted);
    }

    // Quarkus REST has a mapper of its own for this subtype, answering an empty or internal body.
    @ServerExceptionMapper
    public Response mismatched(MismatchedInputException e) {
        return malformed(e);
    }

    @ServerExceptionMapper
    public Response malformed(JsonProcessingException e) {
        ErrorBody body = JsonErrors.describe(e);
        return body == null ? unexpected(e) : json(400, body);
    }

    @ServerExceptionMapper
    public Response unreadable(UncheckedIOException e) {
        return e.getCause() instanceof JsonProcessingException json ? malformed(json) : unexpected(e);
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e, ContainerRequestContext request) {
        int status = e.getResponse().getStatus();
        if (e.getCause() instanceof JsonProcessingException json) {
            return malformed(json);
        }
        String where = request.getMethod() + " " + request.getUriInfo().getPath();
        ErrorBody body =
                switch (status) {
                    case 400 -> new ErrorBody("BAD_REQUEST", "the request to " + where + " is not valid");
                    case 401 -> new ErrorBody("UNAUTHENTICATED", "send a valid token");
                    case 403 -> new ErrorBody("FORBIDDEN", "this token may not call " + where);
                    case 404 -> new ErrorBody("NOT_FOUND", "nothing is served at " + where);
                    case 405 -> new ErrorBody("METHOD_NOT_ALLOWED", where + ": this method is not allowed here");
                    case 406 -> new ErrorBody("NOT_ACCEPTABLE", where + " answers application/json only");
                    case 413 -> new ErrorBody("PAYLOAD_TOO_LARGE", "the request body is too large");
                    case 415 ->
                        new ErrorBody("UNSUPPORTED_MEDIA_TYPE", where + " needs a JSON body (application/json)");
                    default ->
                        status >= 500
                                ? new ErrorBody("INTERNAL", "the request failed inside the service")
                                : new ErrorBody("REQUEST_FAILED", "the request to " + where + " failed");
                };
        return json(status, body);
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
        if (concurrentChange(e)) {
            Log.infof("change refused by a concurrent one: %s", e.toString());
            return json(
                    409,
                    new ErrorBody(
                            "CONCURRENT_CHANGE",
                            "another change of the same flags or segments ran at the same time: send it again"));
        }
        Log.error("request failed", e);
        return json(500, new ErrorBody("INTERNAL", "the request failed inside the service"));
    }

    /**
     * Whether PostgreSQL broke a deadlock or a serialization conflict by aborting this transaction (a flag edit and a
     * change of a segment it uses, each waiting for the other's rows): nothing was saved, and sending it again works.
     */
    static boolean concurrentChange(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof io.vertx.pgclient.PgException pg
                    && ("40P01".equals(pg.getSqlState()) || "40001".equals(pg.getSqlState()))) {
                return true;
            }
        }
        return false;
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

    /**
     * The field a violation names, as the client wrote it: {@code stages[1].name}, {@code allowList[0]}, a
     * parameter's name ({@code reason}), or {@code body} for the body as a whole. The resource method's name and the
     * body parameter's name are left out.
     */
    static String field(ConstraintViolation<?> violation) {
        List<Path.Node> nodes = new ArrayList<>();
        violation.getPropertyPath().forEach(nodes::add);
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < nodes.size(); i++) {
            Path.Node node = nodes.get(i);
            ElementKind kind = node.getKind();
            if (kind == ElementKind.PARAMETER) {
                if (i == nodes.size() - 1) {
                    out.append(node.getName());
                }
                continue;
            }
            if (kind != ElementKind.PROPERTY && kind != ElementKind.CONTAINER_ELEMENT && kind != ElementKind.BEAN) {
                continue;
            }
            if (node.isInIterable()) {
                Object at = node.getIndex() != null ? node.getIndex() : node.getKey();
                if (at != null) {
                    out.append('[')
                            .append(TextRules.visible(String.valueOf(at)))
                            .append(']');
                }
            }
            String name = node.getName();
            if (name != null && !name.startsWith("<")) {
                if (!out.isEmpty()) {
                    out.append('.');
                }
                out.append(name);
            }
        }
        return out.isEmpty() ? "body" : out.toString();
    }

    static Response json(int status, ErrorBody body) {
        return Response.status(status)
                .type(MediaType.APPLICATION_JSON_TYPE)
                .entity(body)
                .build();
    }
}
