package dev.rollguard.alert.rest;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.rollguard.alert.service.ValidationFailedException.Violation;
import java.util.List;

/** Body of every error answer: a stable code, a human message and, for VALIDATION_FAILED, the violations. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ErrorResponse(String code, String message, List<Violation> violations) {

    public static ErrorResponse of(String code, String message) {
        return new ErrorResponse(code, message, null);
    }
}
