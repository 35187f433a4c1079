package dev.rollguard.alert.rest;

import dev.rollguard.alert.service.ValidationFailedException;
import dev.rollguard.alert.service.ValidationFailedException.Violation;
import java.util.List;

/**
 * Who a write is done for, as the flag-service's audit takes it: a person (the console sends the operator's name), or
 * the system acting. Kept with what it did and logged.
 */
final class Actors {

    /** Names who asks for a write. */
    static final String HEADER = "X-Rollguard-Actor";
    /** Recorded when the request does not say. */
    static final String UNNAMED = "admin token";

    private Actors() {}

    /** The actor the header names, or {@link #UNNAMED}; 400 naming the header when it is not one short line. */
    static String of(String header) {
        String by = header == null || header.isBlank() ? UNNAMED : header.strip();
        if (by.length() > 200 || by.chars().anyMatch(Character::isISOControl)) {
            throw new ValidationFailedException(
                    List.of(new Violation(HEADER, "must be one line of at most 200 characters")));
        }
        return by;
    }
}
