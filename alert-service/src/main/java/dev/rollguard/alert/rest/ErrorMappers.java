package dev.rollguard.alert.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import dev.rollguard.alert.service.ApiException;
import dev.rollguard.alert.service.ValidationFailedException;
import dev.rollguard.alert.service.ValidationFailedException.Violation;
import io.quarkus.logging.Log;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.ConstraintViolationException;
import jakarta.validation.Path;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import org.jboss.resteasy.reactive.RestResponse;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Every failure becomes a JSON {@link ErrorResponse}; never a stack trace or a class name. */
public class ErrorMappers {

    @ServerExceptionMapper
    public RestResponse<ErrorResponse> api(ApiException e) {
        return json(e.status(), ErrorResponse.of(e.code(), e.getMessage()));
    }

    @ServerExceptionMapper
    public RestResponse<ErrorResponse> invalid(ValidationFailedException e) {
        return json(400, new ErrorResponse("VALIDATION_FAILED", e.getMessage(), e.violations()));
    }

    @ServerExceptionMapper
    public RestResponse<ErrorResponse> constraints(ConstraintViolationException e) {
        List<Violation> violations = e.getConstraintViolations().stream()
                .map(v -> new Violation(field(v), v.getMessage()))
                .sorted(Comparator.comparing(Violation::field))
                .collect(Collectors.toList());
        String message = violations.size() == 1
                ? violations.get(0).field() + ": " + violations.get(0).message()
                : violations.size() + " invalid fields";
        return json(400, new ErrorResponse("VALIDATION_FAILED", message, violations));
    }

    /** Wrong types and unknown symbols; declared for the exact type so it wins over the built-in mapper. */
    @ServerExceptionMapper(priority = 1)
    public RestResponse<ErrorResponse> mismatched(MismatchedInputException e) {
        return malformed(e);
    }

    @ServerExceptionMapper(priority = 1)
    public RestResponse<ErrorResponse> malformed(JsonProcessingException e) {
        String field = "body";
        if (e instanceof JsonMappingException mapping && !mapping.getPath().isEmpty()) {
            field = mapping.getPath().stream()
                    .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
                    .collect(Collectors.joining("."))
                    .replace(".[", "[");
        }
        String message = "malformed JSON or wrong type: " + e.getOriginalMessage();
        return json(
                400,
                new ErrorResponse("VALIDATION_FAILED", field + ": " + message, List.of(new Violation(field, message))));
    }

    @ServerExceptionMapper
    public RestResponse<ErrorResponse> web(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        String code =
                switch (status) {
                    case 400 -> "VALIDATION_FAILED";
                    case 401 -> "UNAUTHENTICATED";
                    case 403 -> "FORBIDDEN";
                    case 404 -> "NOT_FOUND";
                    case 405 -> "METHOD_NOT_ALLOWED";
                    case 406 -> "NOT_ACCEPTABLE";
                    case 413 -> "PAYLOAD_TOO_LARGE";
                    case 415 -> "UNSUPPORTED_MEDIA_TYPE";
                    default -> status >= 500 ? "INTERNAL_ERROR" : "REQUEST_FAILED";
                };
        String message = status >= 500
                ? "the request could not be served"
                : Response.Status.fromStatusCode(status) != null
                        ? Response.Status.fromStatusCode(status).getReasonPhrase()
                        : "request failed";
        return json(status, ErrorResponse.of(code, message));
    }

    @ServerExceptionMapper(priority = 10_000)
    public RestResponse<ErrorResponse> unexpected(Throwable e) {
        Log.error("unexpected failure serving a request", e);
        return json(500, ErrorResponse.of("INTERNAL_ERROR", "the request could not be served"));
    }

    private static RestResponse<ErrorResponse> json(int status, ErrorResponse body) {
        return RestResponse.ResponseBuilder.<ErrorResponse>create(status)
                .entity(body)
                .type(MediaType.APPLICATION_JSON_TYPE)
                .build();
    }

    /** The request field of a violation: "create.request.warning.threshold" becomes "warning.threshold". */
    private static String field(ConstraintViolation<?> violation) {
        List<String> names = new ArrayList<>();
        for (Path.Node node : violation.getPropertyPath()) {
            if (node.getName() != null) {
                names.add(node.getName());
            }
        }
        if (names.size() > 2) {
            return String.join(".", names.subList(2, names.size()));
        }
        return names.isEmpty() ? "body" : names.get(names.size() - 1);
    }
}
