package dev.rollguard.alert.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
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

    /**
     * Bean Validation failures: 400 {@code VALIDATION_FAILED}, or {@code INVALID_CHARACTER} when a text holds a
     * character {@link CleanText} refuses (only those violations are listed then, the first named in the message).
     */
    @ServerExceptionMapper
    public RestResponse<ErrorResponse> constraints(ConstraintViolationException e) {
        List<ConstraintViolation<?>> refusedText = e.getConstraintViolations().stream()
                .filter(v -> v.getConstraintDescriptor().getAnnotation() instanceof CleanText)
                .collect(Collectors.toList());
        boolean invalidCharacter = !refusedText.isEmpty();
        List<Violation> violations = (invalidCharacter ? refusedText : e.getConstraintViolations())
                .stream()
                        .map(v -> new Violation(field(v), v.getMessage()))
                        .sorted(Comparator.comparing(Violation::field))
                        .collect(Collectors.toList());
        String message = violations.size() == 1 || invalidCharacter
                ? violations.get(0).field() + ": " + violations.get(0).message()
                : violations.size() + " invalid fields";
        return json(
                400,
                new ErrorResponse(invalidCharacter ? "INVALID_CHARACTER" : "VALIDATION_FAILED", message, violations));
    }

    /** Wrong types and unknown symbols; declared for the exact type so it wins over the built-in mapper. */
    @ServerExceptionMapper(priority = 1)
    public RestResponse<ErrorResponse> mismatched(MismatchedInputException e) {
        return malformed(e);
    }

    /**
     * JSON that does not parse, or does not fit the request: the message says what the field should be, in the
     * terms of JSON ("must be a number"), never Jackson's text, which names Java types.
     */
    @ServerExceptionMapper(priority = 1)
    public RestResponse<ErrorResponse> malformed(JsonProcessingException e) {
        if (BodyLimit.exceeded(e)) {
            return tooLarge();
        }
        if (!(e instanceof JsonMappingException mapping)) {
            String where = e.getLocation() == null
                    ? ""
                    : " (line " + e.getLocation().getLineNr() + ", column "
                            + e.getLocation().getColumnNr() + ")";
            String message = "is not valid JSON" + where;
            return json(
                    400,
                    new ErrorResponse(
                            "VALIDATION_FAILED", "body: " + message, List.of(new Violation("body", message))));
        }
        String field = mapping.getPath().isEmpty()
                ? "body"
                : mapping.getPath().stream()
                        .map(ref -> ref.getFieldName() != null
                                ? JsonMessages.printable(ref.getFieldName())
                                : "[" + ref.getIndex() + "]")
                        .collect(Collectors.joining("."))
                        .replace(".[", "[");
        if (e instanceof InvalidFormatException invalid
                && invalid.getValue() instanceof String text
                && CleanText.Check.firstRefused(text, false) >= 0) {
            String message = CleanText.Check.describe(text, CleanText.Check.firstRefused(text, false), false);
            return json(
                    400,
                    new ErrorResponse(
                            "INVALID_CHARACTER", field + ": " + message, List.of(new Violation(field, message))));
        }
        String message = JsonMessages.expectation(mapping);
        String text = field.equals("body") ? "the body " + message : "field '" + field + "' " + message;
        return json(400, new ErrorResponse("VALIDATION_FAILED", text, List.of(new Violation(field, message))));
    }

    @ServerExceptionMapper
    public RestResponse<ErrorResponse> web(WebApplicationException e) {
        if (BodyLimit.exceeded(e)) {
            return tooLarge();
        }
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
        if (BodyLimit.exceeded(e)) {
            return tooLarge();
        }
        if (DatabaseFailures.unavailable(e)) {
            Log.warnf("database unavailable while serving a request: %s", DatabaseFailures.summary(e));
            return json(
                    503, ErrorResponse.of("UNAVAILABLE", "the alert database is unavailable; retry the request later"));
        }
        Log.error("unexpected failure serving a request", e);
        return json(500, ErrorResponse.of("INTERNAL_ERROR", "the request could not be served"));
    }

    private static RestResponse<ErrorResponse> tooLarge() {
        return json(413, ErrorResponse.of("PAYLOAD_TOO_LARGE", "the request body is larger than allowed"));
    }

    private static RestResponse<ErrorResponse> json(int status, ErrorResponse body) {
        return RestResponse.ResponseBuilder.<ErrorResponse>create(status)
                .entity(body)
                .type(MediaType.APPLICATION_JSON_TYPE)
                .build();
    }

    /**
     * The request field of a violation: "create.request.warning.threshold" becomes "warning.threshold", a map value
     * "labels[team]", a map key "labels[team] (key)".
     */
    private static String field(ConstraintViolation<?> violation) {
        StringBuilder field = new StringBuilder();
        String parameter = null;
        for (Path.Node node : violation.getPropertyPath()) {
            switch (node.getKind()) {
                case PARAMETER -> parameter = node.getName();
                case PROPERTY -> {
                    // A field of an element of a list of objects: matchers[0].name, not matchers.name.
                    if (node.isInIterable() && field.length() > 0) {
                        Object at = node.getKey() != null ? node.getKey() : node.getIndex();
                        if (at != null) {
                            field.append('[')
                                    .append(JsonMessages.printable(String.valueOf(at)))
                                    .append(']');
                        }
                    }
                    field.append(field.length() == 0 ? "" : ".").append(node.getName());
                }
                case CONTAINER_ELEMENT -> {
                    String element = node.getKey() != null
                            ? JsonMessages.printable(String.valueOf(node.getKey()))
                            : node.getIndex() != null ? String.valueOf(node.getIndex()) : "";
                    field.append('[').append(element).append(']');
                    if ("<map key>".equals(node.getName())) {
                        field.append(" (key)");
                    }
                }
                default -> {
                    // the method's name means nothing to the caller
                }
            }
        }
        if (field.length() > 0) {
            return field.toString();
        }
        return parameter == null ? "body" : parameter;
    }
}
