package dev.rollguard.http.error;

import java.util.List;

/**
 * A request that cannot be served, with the HTTP status and the stable error code the client gets. Any layer of a
 * service may throw it; {@link ErrorMappers} answers it as an {@link ErrorBody}.
 */
public class ApiException extends RuntimeException {

    private final int status;
    private final String code;
    private final transient List<ErrorBody.Violation> violations;
    private final transient List<ErrorBody.Problem> problems;

    public ApiException(int status, String code, String message) {
        this(status, code, message, null, null);
    }

    public ApiException(int status, String code, String message, List<ErrorBody.Violation> violations) {
        this(status, code, message, violations, null);
    }

    public ApiException(
            int status,
            String code,
            String message,
            List<ErrorBody.Violation> violations,
            List<ErrorBody.Problem> problems) {
        // An answer to the client, not a defect: no stack trace to fill.
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.violations = violations;
        this.problems = problems;
    }

    /** 404 {@code NOT_FOUND}: "{@code what} not found". */
    public static ApiException notFound(String what) {
        return new ApiException(404, "NOT_FOUND", what + " not found");
    }

    /** 400 {@code VALIDATION_FAILED} for one field: "{@code field: message}". */
    public static ApiException invalid(String field, String message) {
        return new ApiException(
                400, "VALIDATION_FAILED", field + ": " + message, List.of(new ErrorBody.Violation(field, message)));
    }

    /** 409 with the given code. */
    public static ApiException conflict(String code, String message) {
        return new ApiException(409, code, message);
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public List<ErrorBody.Violation> violations() {
        return violations;
    }

    public List<ErrorBody.Problem> problems() {
        return problems;
    }

    /** The JSON the client gets. */
    public ErrorBody body() {
        return new ErrorBody(code, getMessage(), violations, problems);
    }
}
