package dev.rollguard.ingest.service;

import static dev.rollguard.ingest.TelemetryFixtures.sync;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.ingest.domain.Violation;
import dev.rollguard.schemas.telemetry.TelemetryLimits;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The context attributes of an event read from Kafka are checked as those posted over HTTP. */
class TelemetryValidatorContextTest {

    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    private final TelemetryValidator validator = new TelemetryValidator(ValidationRules.DEFAULTS);

    private Violation validate(Map<String, String> context) {
        return validator.validate(sync("c1", NOW, true, 10).setContext(context).build(), NOW.toEpochMilli());
    }

    @Test
    void wellFormedAttributesPass() {
        assertThat(validate(Map.of("country", "FR", "account_type", "business", "org.tier", "gold")))
                .isNull();
        assertThat(validate(Map.of())).isNull();
    }

    @Test
    void eachBrokenAttributeIsRefusedWithItsCode() {
        assertThat(validate(Map.of("country", "F\u0007R")).code()).isEqualTo(Violation.INVALID_CHARACTER);
        assertThat(validate(Map.of("two words", "x")).code()).isEqualTo(Violation.INVALID_FIELD);
        assertThat(validate(Map.of("appVersion", "4.2.0")).code()).isEqualTo(Violation.INVALID_FIELD);
        assertThat(validate(Map.of("n".repeat(65), "x")).code()).isEqualTo(Violation.OVERSIZED_FIELD);
        assertThat(validate(Map.of("country", "x".repeat(257))).code()).isEqualTo(Violation.OVERSIZED_FIELD);
        assertThat(validate(Map.of("country", "x".repeat(256)))).isNull();
        Map<String, String> many = new HashMap<>();
        for (int i = 0; i < TelemetryLimits.MAX_CONTEXT_ATTRIBUTES + 1; i++) {
            many.put("a" + i, "v");
        }
        assertThat(validate(many).code()).isEqualTo(Violation.OVERSIZED_FIELD);
        many.remove("a0");
        assertThat(validate(many)).isNull();
    }
}
