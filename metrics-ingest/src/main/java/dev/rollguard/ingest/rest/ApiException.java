package dev.rollguard.ingest.rest;

import java.util.List;

/** A request that cannot be served, answered with its status and a JSON {@link ErrorBody}. */
public class ApiException extends RuntimeException {

    private final int status;
    private final String code;
    private final transient List<ErrorBody.FieldViolation> violations;

    public ApiException(int status, String code, String message) {
        this(status, code, message, null);
    }

    public ApiException(int status, String code, String message, List<ErrorBody.FieldViolation> violations) {
        super(message);
        this.status = status;
        this.code = code;
        this.violations = violations;
    }

    public static ApiException validation(String field, String message) {
        return new ApiException(
                400,
                "VALIDATION_FAILED",
                field + ": " + message,
                List.of(new ErrorBody.FieldViolation(field, message)));
    }

    public int status() {
        return status;
    }

    public ErrorBody body() {
        return new ErrorBody(code, getMessage(), violations);
    }
}
