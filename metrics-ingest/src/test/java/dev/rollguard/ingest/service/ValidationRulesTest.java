package dev.rollguard.ingest.service;

import static dev.rollguard.ingest.TelemetryFixtures.sync;
import static dev.rollguard.ingest.TelemetryFixtures.upload;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.ingest.config.IngestConfig;
import dev.rollguard.ingest.domain.Violation;
import dev.rollguard.schemas.telemetry.TelemetryLimits;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.WithDefault;
import java.time.Instant;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;

/** The service's limits are the schemas' ones, which the Java client applies before it sends. */
class ValidationRulesTest {

    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    private final TelemetryValidator validator = new TelemetryValidator(ValidationRules.DEFAULTS);

    @Test
    void theConfiguredDefaultsAreTheSchemasLimits() throws NoSuchMethodException {
        DurationConverter durations = new DurationConverter();
        ValidationRules configured = new ValidationRules(
                durations.convert(defaultOf("maxClockSkew")),
                durations.convert(defaultOf("maxAge")),
                Integer.parseInt(defaultOf("maxIdLength")),
                Integer.parseInt(defaultOf("maxMessageLength")),
                Integer.parseInt(defaultOf("maxExposures")));

        assertThat(configured)
                .isEqualTo(ValidationRules.DEFAULTS)
                .isEqualTo(new ValidationRules(
                        TelemetryLimits.MAX_CLOCK_SKEW,
                        TelemetryLimits.MAX_AGE,
                        TelemetryLimits.MAX_ID_LENGTH,
                        TelemetryLimits.MAX_ERROR_MESSAGE_LENGTH,
                        TelemetryLimits.MAX_EXPOSURES));
    }

    @Test
    void aDurationIsAcceptedFromZeroToTheMaxAge() {
        long maxAge = TelemetryLimits.MAX_AGE.toMillis();

        assertThat(validate(sync("c1", NOW, true, 0).build())).isNull();
        assertThat(validate(sync("c1", NOW, true, maxAge).build())).isNull();
        assertThat(validate(sync("c1", NOW, true, maxAge + 1).build()).code()).isEqualTo(Violation.OVERSIZED_FIELD);
        assertThat(validate(sync("c1", NOW, true, -1).build()).code()).isEqualTo(Violation.NEGATIVE_VALUE);
    }

    @Test
    void uploadBytesAreAcceptedFromZeroTo1TiB() {
        long max = TelemetryLimits.MAX_UPLOAD_BYTES;

        assertThat(validate(upload("c1", NOW, true, 10, 0).build())).isNull();
        assertThat(validate(upload("c1", NOW, true, 10, max).build())).isNull();
        assertThat(validate(upload("c1", NOW, true, 10, max + 1).build()))
                .isEqualTo(new Violation(
                        Violation.OVERSIZED_FIELD, "bytes must be at most 1099511627776 (1 TiB), was 1099511627777"));
        assertThat(validate(upload("c1", NOW, true, 10, -1).build()).code()).isEqualTo(Violation.NEGATIVE_VALUE);
    }

    @Test
    void mutationCountsAndQueueLengthsAreAcceptedFromZeroToTenMillion() {
        int max = TelemetryLimits.MAX_MUTATION_COUNT;

        assertThat(validate(sync("c1", NOW, true, 10)
                        .setPendingMutations(max)
                        .setFailedMutations(max)
                        .setSyncQueueLength(max)
                        .build()))
                .isNull();
        assertThat(validate(
                        sync("c1", NOW, true, 10).setPendingMutations(max + 1).build()))
                .isEqualTo(new Violation(
                        Violation.OVERSIZED_FIELD, "pendingMutations must be at most 10000000, was 10000001"));
        assertThat(validate(upload("c1", NOW, true, 10, 5)
                                .setFailedMutations(Integer.MAX_VALUE)
                                .build())
                        .code())
                .isEqualTo(Violation.OVERSIZED_FIELD);
        assertThat(validate(sync("c1", NOW, true, 10)
                                .setSyncQueueLength(max + 1)
                                .build())
                        .code())
                .isEqualTo(Violation.OVERSIZED_FIELD);
    }

    /** The default of a {@code validation.*} setting, as Quarkus reads it when the setting is not given. */
    private static String defaultOf(String setting) throws NoSuchMethodException {
        return IngestConfig.Validation.class
                .getMethod(setting)
                .getAnnotation(WithDefault.class)
                .value();
    }

    private Violation validate(SpecificRecord event) {
        return validator.validate(event, NOW.toEpochMilli());
    }
}
