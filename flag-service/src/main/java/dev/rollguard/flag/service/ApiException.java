package dev.rollguard.flag.service;

import dev.rollguard.flag.rest.ErrorBody;
import java.util.List;

/** A request that cannot be served, with the HTTP status and the stable error code the client gets. */
public class ApiException extends RuntimeException {

    private final int status;
    private final String code;
    private final transient List<ErrorBody.Violation> violations;

    public ApiException(int status, String code, String message) {
        this(status, code, message, null);
    }

    public ApiException(int status, String code, String message, List<ErrorBody.Violation> violations) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.violations = violations;
    }

    public static ApiException notFound(String key) {
        return new ApiException(404, "FLAG_NOT_FOUND", "no flag with key '" + key + "'");
    }

    public static ApiException invalid(String field, String message) {
        return new ApiException(
                400, "VALIDATION_FAILED", field + " " + message, List.of(new ErrorBody.Violation(field, message)));
    }

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
}
