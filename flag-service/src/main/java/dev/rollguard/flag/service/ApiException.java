package dev.rollguard.flag.service;

import dev.rollguard.flag.rest.ErrorBody;
import java.util.List;

/** A request that cannot be served, with the HTTP status and the stable error code the client gets. */
public class ApiException extends RuntimeException {

    private final int status;
    private final String code;
    private final transient List<ErrorBody.Violation> violations;
    private final transient List<ErrorBody.Problem> problems;

    public ApiException(int status, String code, String message) {
        this(status, code, message, null);
    }

    public ApiException(int status, String code, String message, List<ErrorBody.Violation> violations) {
        this(status, code, message, violations, null);
    }

    private ApiException(
            int status,
            String code,
            String message,
            List<ErrorBody.Violation> violations,
            List<ErrorBody.Problem> problems) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.violations = violations;
        this.problems = problems;
    }

    /** 400 {@code INVALID_TARGETING}: rules, segments or weights that cannot be saved, each problem named. */
    public static ApiException invalidTargeting(List<ErrorBody.Problem> problems) {
        String message = problems.stream()
                .map(ErrorBody.Problem::message)
                .reduce((a, b) -> a + "; " + b)
                .orElse("");
        return new ApiException(400, "INVALID_TARGETING", "invalid targeting: " + message, null, problems);
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

    public List<ErrorBody.Problem> problems() {
        return problems;
    }
}
