package dev.rollguard.flag.rest;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** Every error of the admin and evaluation APIs: a stable code and a message for people. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ErrorBody(String code, String message, List<Violation> violations) {

    public ErrorBody(String code, String message) {
        this(code, message, null);
    }

    public record Violation(String field, String message) {}
}
