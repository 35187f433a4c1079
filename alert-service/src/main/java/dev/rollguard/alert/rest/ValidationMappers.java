package dev.rollguard.alert.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.rollguard.alert.api.CleanText;
import dev.rollguard.http.BodyLimit;
import dev.rollguard.http.RequestFields;
import dev.rollguard.http.StrictJsonSyntax;
import dev.rollguard.http.error.ApiException;
import dev.rollguard.http.error.ErrorBody;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.ConstraintViolationException;
import jakarta.validation.Path;
import jakarta.ws.rs.core.MediaType;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import org.jboss.resteasy.reactive.RestResponse;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * The alert-service's words for a request that breaks Bean Validation or is JSON it cannot read; the rest of the error
 * contract is {@link dev.rollguard.http.error.ErrorMappers}.
 */
public class ValidationMappers {

    /**
     * Bean Validation failures: 400 {@code VALIDATION_FAILED}, or {@code INVALID_CHARACTER} when a text holds a
     * character {@link CleanText} refuses (only those violations are listed then, the first named in the message).
     */
    @ServerExceptionMapper
    public RestResponse<ErrorBody> constraints(ConstraintViolationException e) {
        List<ConstraintViolation<?>> refusedText = e.getConstraintViolations().stream()
                .filter(v -> v.getConstraintDescriptor().getAnnotation() instanceof CleanText)
                .collect(Collectors.toList());
        boolean invalidCharacter = !refusedText.isEmpty();
        List<ErrorBody.Violation> violations = (invalidCharacter ? refusedText : e.getConstraintViolations())
                .stream()
                        .map(v -> new ErrorBody.Violation(field(v), v.getMessage()))
                        .sorted(Comparator.comparing(ErrorBody.Violation::field))
                        .collect(Collectors.toList());
        String message = violations.size() == 1 || invalidCharacter
                ? violations.get(0).field() + ": " + violations.get(0).message()
                : violations.size() + " invalid fields";
        return json(
                400, new ErrorBody(invalidCharacter ? "INVALID_CHARACTER" : "VALIDATION_FAILED", message, violations));
    }

    /**
     * Wrong types, unknown symbols and unknown fields; declared for the exact type so it wins over the built-in mapper.
     */
    @ServerExceptionMapper(priority = 1)
    public RestResponse<ErrorBody> mismatched(MismatchedInputException e) {
        return malformed(e);
    }

    /**
     * JSON that does not parse, or does not fit the request: the message says what the field should be, in the
     * terms of JSON ("must be a number"), or which fields its object has instead of one it does not
     * ({@link StrictRequestFields}); never Jackson's text, which names Java types.
     */
    @ServerExceptionMapper(priority = 1)
    public RestResponse<ErrorBody> malformed(JsonProcessingException e) {
        if (BodyLimit.exceeded(e)) {
            return tooLarge();
        }
        if (!(e instanceof JsonMappingException mapping) || StrictJsonSyntax.contentAfterValue(e)) {
            return json(400, notJson(e).body());
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
                    new ErrorBody(
                            "INVALID_CHARACTER",
                            field + ": " + message,
                            List.of(new ErrorBody.Violation(field, message))));
        }
        if (e instanceof UnrecognizedPropertyException unknown) {
            String message = RequestFields.unknownField(unknown.getKnownPropertyIds());
            return json(
                    400,
                    new ErrorBody(
                            "VALIDATION_FAILED",
                            field + ": " + message,
                            List.of(new ErrorBody.Violation(field, message))));
        }
        String message = JsonMessages.expectation(mapping);
        String text = field.equals("body") ? "the body " + message : "field '" + field + "' " + message;
        return json(400, new ErrorBody("VALIDATION_FAILED", text, List.of(new ErrorBody.Violation(field, message))));
    }

    /**
     * 400 {@code VALIDATION_FAILED} for a body that is not one JSON value (or gives a key twice), located where the
     * reader stopped: "body: is not valid JSON (line 1, column 7)", with {@code body} as the violation. The one wording
     * for every path a body is read on: a request record here, the REST layer's reader ({@link AlertFailures}), the
     * inbound alerts' own parse ({@link InboundAlertResource}).
     */
    static ApiException notJson(JsonProcessingException e) {
        String message = e.getLocation() == null
                ? "is not valid JSON"
                : "is not valid JSON (line " + e.getLocation().getLineNr() + ", column "
                        + e.getLocation().getColumnNr() + ")";
        return ApiException.invalid("body", message);
    }

    private static RestResponse<ErrorBody> tooLarge() {
        return json(413, new ErrorBody("PAYLOAD_TOO_LARGE", "the request body is larger than allowed"));
    }

    private static RestResponse<ErrorBody> json(int status, ErrorBody body) {
        return RestResponse.ResponseBuilder.<ErrorBody>create(status)
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
