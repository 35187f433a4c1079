package dev.rollguard.rollback.rest;

import java.util.List;

/** A request the API answers with a JSON error of the given status and stable code. */
public class ApiException extends RuntimeException {

    private final int status;
    private final String code;
    private final List<ErrorResponse.Violation> violations;

    public ApiException(int status, String code, String message) {
        this(status, code, message, null);
    }

    public ApiException(int status, String code, String message, List<ErrorResponse.Violation> violations) {
        super(message);
        this.status = status;
        this.code = code;
        this.violations = violations;
    }

    /** The invalid inputs of a VALIDATION_FAILED error, null otherwise. */
    public List<ErrorResponse.Violation> violations() {
        return violations;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }
}
