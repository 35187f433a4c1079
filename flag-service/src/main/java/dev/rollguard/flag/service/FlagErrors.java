package dev.rollguard.flag.service;

import dev.rollguard.flag.domain.ExpectedVersion;
import dev.rollguard.http.error.ApiException;
import dev.rollguard.http.error.ErrorBody;
import java.util.List;

/**
 * The flag-service's own errors, in its words: a flag that is not there, a field or a targeting that is refused, a
 * write to a version that is no longer the current one.
 */
public final class FlagErrors {

    private FlagErrors() {}

    /** 400 {@code INVALID_TARGETING}: rules, segments or weights that cannot be saved, each problem named. */
    public static ApiException invalidTargeting(List<ErrorBody.Problem> problems) {
        String message = problems.stream()
                .map(ErrorBody.Problem::message)
                .reduce((a, b) -> a + "; " + b)
                .orElse("");
        return new ApiException(400, "INVALID_TARGETING", "invalid targeting: " + message, null, problems);
    }

    /** 404 {@code FLAG_NOT_FOUND}. */
    public static ApiException notFound(String key) {
        return new ApiException(404, "FLAG_NOT_FOUND", "no flag with key '" + key + "'");
    }

    /**
     * Refuses a write with 412 {@code PRECONDITION_FAILED} unless the {@code kind} ("flag", "segment") named {@code key},
     * found at version {@code current}, is at the version the write expects. Called once the resource is found: a
     * missing one is 404 whatever was expected.
     */
    public static void requireVersion(String kind, String key, long current, ExpectedVersion expected) {
        if (expected.allows(current)) {
            return;
        }
        List<Long> versions = expected.versions();
        String message = versions.isEmpty()
                ? "If-Match " + expected.tag() + " is not a version of " + kind + " '" + key + "' (it is at version "
                        + current + ")"
                : kind + " '" + key + "' is at version " + current + ", not "
                        + (versions.size() == 1 ? versions.get(0) : "one of " + versions)
                        + ": fetch it again and reapply the change";
        throw new ApiException(412, "PRECONDITION_FAILED", message);
    }

    /** 400 {@code VALIDATION_FAILED} for one field: "{@code field message}". */
    public static ApiException invalid(String field, String message) {
        return new ApiException(
                400, "VALIDATION_FAILED", field + " " + message, List.of(new ErrorBody.Violation(field, message)));
    }
}
