package dev.rollguard.ingest.service;

import dev.rollguard.ingest.config.IngestConfig;
import java.time.Duration;

/** The limits {@link TelemetryValidator} enforces. */
public record ValidationRules(
        Duration maxClockSkew, Duration maxAge, int maxIdLength, int maxMessageLength, int maxExposures) {

    public static final ValidationRules DEFAULTS =
            new ValidationRules(Duration.ofMinutes(5), Duration.ofDays(7), 256, 2048, 64);

    public static ValidationRules from(IngestConfig.Validation config) {
        return new ValidationRules(
                config.maxClockSkew(),
                config.maxAge(),
                config.maxIdLength(),
                config.maxMessageLength(),
                config.maxExposures());
    }
}
