package dev.rollguard.ingest.service;

import dev.rollguard.ingest.config.IngestConfig;
import dev.rollguard.schemas.telemetry.TelemetryLimits;
import java.time.Duration;

/**
 * The limits {@link TelemetryValidator} enforces that an operator may change; by default the schemas' {@link
 * TelemetryLimits}.
 */
public record ValidationRules(
        Duration maxClockSkew, Duration maxAge, int maxIdLength, int maxMessageLength, int maxExposures) {

    public static final ValidationRules DEFAULTS = new ValidationRules(
            TelemetryLimits.MAX_CLOCK_SKEW,
            TelemetryLimits.MAX_AGE,
            TelemetryLimits.MAX_ID_LENGTH,
            TelemetryLimits.MAX_ERROR_MESSAGE_LENGTH,
            TelemetryLimits.MAX_EXPOSURES);

    public static ValidationRules from(IngestConfig.Validation config) {
        return new ValidationRules(
                config.maxClockSkew(),
                config.maxAge(),
                config.maxIdLength(),
                config.maxMessageLength(),
                config.maxExposures());
    }
}
