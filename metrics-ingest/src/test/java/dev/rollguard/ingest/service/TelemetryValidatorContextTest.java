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

    @Test
    void eachBrokenAttributeIsRefusedWithItsMessage() {
        String malformed = "must start with a letter or '_' and hold only letters, digits, '_', '.' and '-'";
        assertThat(validate(Map.of("", "x")))
                .isEqualTo(new Violation(Violation.INVALID_FIELD, "context attribute name '' " + malformed));
        assertThat(validate(withNull(null, "x")))
                .isEqualTo(new Violation(Violation.INVALID_FIELD, "context attribute name 'null' " + malformed));
        assertThat(validate(Map.of("n".repeat(65), "x")))
                .isEqualTo(new Violation(
                        Violation.OVERSIZED_FIELD, "context attribute name is longer than 64 characters"));
        assertThat(validate(Map.of("two words", "x")))
                .isEqualTo(new Violation(Violation.INVALID_FIELD, "context attribute name 'two words' " + malformed));
        assertThat(validate(Map.of("appVersion", "4.2.0")))
                .isEqualTo(new Violation(
                        Violation.INVALID_FIELD,
                        "context.appVersion is carried by the event's own field, not by its context"));
        assertThat(validate(withNull("country", null)))
                .isEqualTo(new Violation(Violation.MISSING_FIELD, "context.country has no value"));
        assertThat(validate(Map.of("country", "x".repeat(257))))
                .isEqualTo(new Violation(Violation.OVERSIZED_FIELD, "context.country is longer than 256 characters"));
        assertThat(validate(Map.of("country", "F\u0007R")))
                .isEqualTo(new Violation(
                        Violation.INVALID_CHARACTER,
                        "context.country contains the character U+0007 at position 1: control characters are not"
                                + " accepted"));
    }

    @Test
    void theFirstRuleAnAttributeBreaksIsTheOneNamed() {
        assertThat(validate(Map.of("n".repeat(64) + " ", "x")).message())
                .as("too long and malformed")
                .isEqualTo("context attribute name is longer than 64 characters");
        assertThat(validate(withNull("platform", null)).message())
                .as("reserved and without a value")
                .isEqualTo("context.platform is carried by the event's own field, not by its context");
        assertThat(validate(Map.of("country", "\u0000".repeat(257))).code())
                .as("a refused character anywhere in the event comes before any other rule")
                .isEqualTo(Violation.INVALID_CHARACTER);
    }

    private static Map<String, String> withNull(String name, String value) {
        Map<String, String> context = new HashMap<>();
        context.put(name, value);
        return context;
    }
}
