package dev.rollguard.ingest.mapping;

import dev.rollguard.ingest.domain.Violation;

/** A posted JSON event that cannot be read as a telemetry event. */
public class InvalidEventException extends RuntimeException {

    private final transient Violation violation;

    public InvalidEventException(String code, String message) {
        super(message);
        this.violation = new Violation(code, message);
    }

    public Violation violation() {
        return violation;
    }
}
