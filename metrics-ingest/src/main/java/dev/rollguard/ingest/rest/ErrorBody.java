package dev.rollguard.ingest.rest;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** The JSON error of every 4xx/5xx answer (docs/contracts.md): a stable code, a human message. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ErrorBody(String code, String message, List<FieldViolation> violations) {

    public ErrorBody(String code, String message) {
        this(code, message, null);
    }

    /** One rejected field of a VALIDATION_FAILED answer. */
    public record FieldViolation(String field, String message) {}
}
