package dev.rollguard.flag.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import dev.rollguard.flag.api.CleanText;
import dev.rollguard.flag.api.TextRules;
import dev.rollguard.http.error.ErrorBody;
import dev.rollguard.http.error.ErrorMappers;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.ConstraintViolationException;
import jakarta.validation.ElementKind;
import jakarta.validation.Path;
import jakarta.ws.rs.core.Response;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * The flag-service's words for a request that breaks Bean Validation or is JSON it cannot read; the rest of the error
 * contract is {@link ErrorMappers}.
 */
public class ValidationMappers {

    @ServerExceptionMapper
    public Response validation(ConstraintViolationException e) {
        List<ErrorBody.Violation> characters = new ArrayList<>();
        List<ErrorBody.Violation> others = new ArrayList<>();
        for (ConstraintViolation<?> violation : e.getConstraintViolations()) {
            ErrorBody.Violation v = new ErrorBody.Violation(field(violation), violation.getMessage());
            (violation.getConstraintDescriptor().getAnnotation() instanceof CleanText ? characters : others).add(v);
        }
        return ErrorMappers.json(400, invalid(characters, others));
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
        return body == null ? ErrorMappers.internal(e) : ErrorMappers.json(400, body);
    }

    @ServerExceptionMapper
    public Response unreadable(UncheckedIOException e) {
        return e.getCause() instanceof JsonProcessingException json ? malformed(json) : ErrorMappers.internal(e);
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
}
