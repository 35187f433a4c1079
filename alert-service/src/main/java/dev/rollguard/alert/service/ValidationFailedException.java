package dev.rollguard.alert.service;

import dev.rollguard.http.error.ApiException;
import dev.rollguard.http.error.ErrorBody;
import java.util.List;

/** A request whose content is invalid: answered 400 VALIDATION_FAILED with every violation. */
public class ValidationFailedException extends ApiException {

    /** One invalid field and why. */
    public record Violation(String field, String message) {}

    public ValidationFailedException(List<Violation> violations) {
        super(
                400,
                "VALIDATION_FAILED",
                violations.size() == 1
                        ? violations.get(0).field() + ": " + violations.get(0).message()
                        : violations.size() + " invalid fields",
                violations.stream()
                        .map(v -> new ErrorBody.Violation(v.field(), v.message()))
                        .toList());
    }
}
