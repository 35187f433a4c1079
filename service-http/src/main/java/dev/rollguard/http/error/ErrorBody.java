package dev.rollguard.http.error;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * The JSON error of every 4xx/5xx answer of every service (docs/contracts.md): a stable code, a message for people,
 * for {@code VALIDATION_FAILED} and {@code INVALID_CHARACTER} the rejected fields, and for the flag-service's
 * {@code INVALID_TARGETING} where in the flag each problem is. Absent parts are left out of the JSON.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ErrorBody(String code, String message, List<Violation> violations, List<Problem> problems) {

    public ErrorBody(String code, String message) {
        this(code, message, null, null);
    }

    public ErrorBody(String code, String message, List<Violation> violations) {
        this(code, message, violations, null);
    }

    /** One rejected field, named as the client wrote it ({@code stages[1].percentage}, {@code body}). */
    public record Violation(String field, String message) {}

    /** What is wrong with a flag's targeting: where in the flag JSON ({@code rules[2].constraints[1].values}), what. */
    public record Problem(String path, String message) {}
}
