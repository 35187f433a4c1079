package dev.rollguard.alert.service;

import java.util.List;

/** A request whose content is invalid: answered 400 VALIDATION_FAILED with every violation. */
public class ValidationFailedException extends RuntimeException {

    /** One invalid field and why. */
    public record Violation(String field, String message) {}

    private final List<Violation> violations;

    public ValidationFailedException(List<Violation> violations) {
        super(
                violations.size() == 1
                        ? violations.get(0).field() + ": " + violations.get(0).message()
                        : violations.size() + " invalid fields",
                null,
                false,
                false);
        this.violations = List.copyOf(violations);
    }

    public List<Violation> violations() {
        return violations;
    }
}
