package dev.rollguard.rollback.rest;

import dev.rollguard.http.error.ErrorBody;
import dev.rollguard.http.error.ErrorMappers;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.ConstraintViolationException;
import jakarta.ws.rs.core.Response;
import java.util.Comparator;
import java.util.List;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * The rollback-service's words for a request that breaks Bean Validation; the rest of the error contract is
 * {@link ErrorMappers}.
 */
public class ValidationMappers {

    @ServerExceptionMapper
    public Response validation(ConstraintViolationException e) {
        List<ErrorBody.Violation> violations = e.getConstraintViolations().stream()
                .map(v -> new ErrorBody.Violation(field(v), v.getMessage()))
                .sorted(Comparator.comparing(ErrorBody.Violation::field))
                .toList();
        return ErrorMappers.json(400, new ErrorBody("VALIDATION_FAILED", "The request is invalid.", violations));
    }

    private static String field(ConstraintViolation<?> violation) {
        // "list.limit" -> "limit": the method name means nothing to the caller.
        String path = violation.getPropertyPath().toString();
        int dot = path.lastIndexOf('.');
        return dot < 0 ? path : path.substring(dot + 1);
    }
}
