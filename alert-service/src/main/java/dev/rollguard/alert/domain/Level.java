package dev.rollguard.alert.domain;

import dev.rollguard.schemas.event.Severity;
import java.time.Duration;
import java.util.Objects;

/**
 * One severity of a rule: its threshold (a margin for comparative rules) and how long the breach must last before
 * the alert fires.
 */
public record Level(Severity severity, double threshold, Duration forDuration) {

    public Level {
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(forDuration, "forDuration");
        if (forDuration.isNegative()) {
            throw new IllegalArgumentException("for must not be negative");
        }
    }
}
