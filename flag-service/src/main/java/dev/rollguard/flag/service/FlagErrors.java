package dev.rollguard.flag.service;

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
     * 413 {@code FLAG_TOO_LARGE}: the flag's change event (with the segments its rules use) would be over the limit
     * of what is published to flags.changes.
     */
    public static ApiException tooLarge(String key, int bytes, int limit) {
        return new ApiException(
                413,
                "FLAG_TOO_LARGE",
                "flag '" + key + "' would be published as an event of " + bytes + " bytes, over the limit of " + limit
                        + " bytes (flag-service.outbox.max-event-bytes; the segments its rules use count too):"
                        + " make its lists, rules or segments smaller");
    }

    /** 400 {@code VALIDATION_FAILED} for one field: "{@code field message}". */
    public static ApiException invalid(String field, String message) {
        return new ApiException(
                400, "VALIDATION_FAILED", field + " " + message, List.of(new ErrorBody.Violation(field, message)));
    }
}
