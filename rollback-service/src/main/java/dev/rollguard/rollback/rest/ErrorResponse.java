package dev.rollguard.rollback.rest;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** The JSON error body of every Rollguard service: a stable code, a human message, and violations for 400s. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ErrorResponse(String code, String message, List<Violation> violations) {

    public ErrorResponse(String code, String message) {
        this(code, message, null);
    }

    /** One invalid input. */
    public record Violation(String field, String message) {}
}
