package dev.rollguard.flag.rest;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** Every error of the admin and evaluation APIs: a stable code and a message for people. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ErrorBody(String code, String message, List<Violation> violations, List<Problem> problems) {

    public ErrorBody(String code, String message) {
        this(code, message, null, null);
    }

    public ErrorBody(String code, String message, List<Violation> violations) {
        this(code, message, violations, null);
    }

    public record Violation(String field, String message) {}

    /** What is wrong with a flag's targeting: where in the flag JSON ({@code rules[2].constraints[1].values}), what. */
    public record Problem(String path, String message) {}
}
