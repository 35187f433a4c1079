package dev.rollguard.ingest.service;

import static dev.rollguard.ingest.TelemetryFixtures.exposure;
import static dev.rollguard.ingest.TelemetryFixtures.sync;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.ingest.domain.Violation;
import dev.rollguard.schemas.event.FlagExposure;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The exposures of an event are checked one by one, and a broken one is named by its place in the list. */
class TelemetryValidatorExposuresTest {

    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    private final TelemetryValidator validator = new TelemetryValidator(ValidationRules.DEFAULTS);

    private Violation validate(List<FlagExposure> exposures) {
        return validator.validate(
                sync("c1", NOW, true, 10).setExposures(exposures).build(), NOW.toEpochMilli());
    }

    /** Two valid exposures, then {@code broken}, then another valid one. */
    private static List<FlagExposure> thirdIs(FlagExposure broken) {
        return List.of(exposure("a", "on", true), exposure("b", "off", false), broken, exposure("d", "on", null));
    }

    @Test
    void wellFormedExposuresPass() {
        FlagExposure versioned = exposure("flag", "on", true);
        versioned.setFlagVersion(0L);
        FlagExposure longest = exposure("k".repeat(TelemetryValidator.MAX_KEY_LENGTH), "v".repeat(128), null);
        assertThat(validate(List.of(versioned, longest))).isNull();
        assertThat(validate(List.of())).isNull();
    }

    @Test
    void aBrokenExposureIsNamedByItsPlace() {
        assertThat(validate(thirdIs(exposure(" ", "on", true))))
                .isEqualTo(new Violation(Violation.MISSING_FIELD, "exposures[2].flagKey is missing or blank"));
        assertThat(validate(thirdIs(exposure("c", "", true))))
                .isEqualTo(new Violation(Violation.MISSING_FIELD, "exposures[2].variant is missing or blank"));
        assertThat(validate(thirdIs(exposure("k".repeat(TelemetryValidator.MAX_KEY_LENGTH + 1), "on", true))))
                .isEqualTo(
                        new Violation(Violation.OVERSIZED_FIELD, "exposures[2].flagKey is longer than 128 characters"));
        assertThat(validate(thirdIs(exposure("c", "v".repeat(129), true))))
                .isEqualTo(
                        new Violation(Violation.OVERSIZED_FIELD, "exposures[2].variant is longer than 128 characters"));
        FlagExposure negative = exposure("c", "on", true);
        negative.setFlagVersion(-1L);
        assertThat(validate(thirdIs(negative)))
                .isEqualTo(new Violation(Violation.NEGATIVE_VALUE, "exposures[2].flagVersion must not be negative"));
    }

    @Test
    void anExposureNamingAKeyNoFlagCanHaveIsRefused() {
        // A ':' would split the scope key "flag:<key>:<cohort>" the exposure makes; upper case, '_' or a space make a
        // key the flag-service never gives a flag.
        for (String key : new String[] {"a:b", "checkout-v2:treatment", "a|b", "New-Sync", "new_sync", "a b", "a..b"}) {
            assertThat(validate(thirdIs(exposure(key, "on", true))))
                    .as(key)
                    .isEqualTo(new Violation(
                            Violation.INVALID_FIELD,
                            "exposures[2].flagKey is not a flag key: must be lower-case letters and digits separated"
                                    + " by single dots or dashes, e.g. replication.table-entries"));
        }
        assertThat(validate(List.of(exposure("replication.table-entries", "on", true), exposure("v2", "a:b", true))))
                .isNull();
    }

    @Test
    void theFirstBrokenFieldOfTheFirstBrokenExposureIsNamed() {
        FlagExposure both = exposure("", "", true);
        both.setFlagVersion(-3L);
        FlagExposure later = exposure("x", " ", true);
        assertThat(validate(List.of(exposure("a", "on", true), both, later)))
                .isEqualTo(new Violation(Violation.MISSING_FIELD, "exposures[1].flagKey is missing or blank"));
        FlagExposure variantAndVersion = exposure("a", " ", true);
        variantAndVersion.setFlagVersion(-3L);
        assertThat(validate(List.of(variantAndVersion)))
                .isEqualTo(new Violation(Violation.MISSING_FIELD, "exposures[0].variant is missing or blank"));
    }

    @Test
    void tooManyExposuresAreRefusedBeforeAnyIsRead() {
        List<FlagExposure> many = new ArrayList<>();
        for (int i = 0; i <= ValidationRules.DEFAULTS.maxExposures(); i++) {
            many.add(exposure(i == 0 ? "" : "f" + i, "on", true));
        }
        assertThat(validate(many).code()).isEqualTo(Violation.TOO_MANY_EXPOSURES);
        assertThat(validate(many.subList(1, many.size()))).isNull();
    }
}
