package dev.rollguard.alert.api;

import dev.rollguard.alert.domain.NoDataPolicy;
import dev.rollguard.alert.domain.RuleComparator;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.Platform;
import dev.rollguard.schemas.event.ScopeType;
import dev.rollguard.schemas.event.WindowKind;
import jakarta.validation.Valid;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.PositiveOrZero;
import jakarta.validation.constraints.Size;
import java.util.Map;
import java.util.Set;

/**
 * A rule as clients write it. Omitted optional fields take the defaults documented in the README. Every text is
 * {@link CleanText}; each length is at most its column's in the V1 migration (labels and annotations are stored as
 * one JSON text, so their count is bounded instead).
 *
 * @param id stable id (lower-case letters, digits, '.', '_', '-'); generated from nothing when omitted on create
 * @param metric the WindowMetricsEvent field the rule watches, e.g. {@code errorRate}
 * @param forSeconds how long a breach must last before firing, for levels without their own
 * @param confidence comparative rules: confidence of the significance test
 */
public record RuleRequest(
        @CleanText @Pattern(regexp = "[a-z0-9][a-z0-9._-]{0,99}", message = "must be 1-100 of a-z, 0-9, '.', '_', '-'")
                String id,
        @CleanText @NotBlank @Size(max = 200) String name,
        @CleanText @NotBlank @Size(max = 100) String metric,
        @NotNull RuleComparator comparator,
        @Valid LevelRequest warning,
        @Valid LevelRequest critical,
        @PositiveOrZero Long forSeconds,
        @PositiveOrZero Long keepFiringForSeconds,
        @PositiveOrZero Long minSampleSize,
        NoDataPolicy noDataPolicy,
        @Valid ScopeRequest scope,
        @DecimalMin("0.5") @DecimalMax("0.999999") Double confidence,
        Boolean enabled,
        @Size(max = 64)
                Map<
                                @CleanText @NotNull @Pattern(regexp = LABEL_NAME, message = LABEL_NAME_MESSAGE) String,
                                @CleanText @NotNull @Size(max = 2000) String>
                        labels,
        @Size(max = 64)
                Map<
                                @CleanText @NotNull @Pattern(regexp = LABEL_NAME, message = LABEL_NAME_MESSAGE) String,
                                @CleanText(freeText = true) @NotNull @Size(max = 2000) String>
                        annotations) {

    /**
     * A label or annotation name as Prometheus and Alertmanager accept it (Alertmanager refuses an alert with any
     * other, so every notification of the rule to an Alertmanager receiver would fail).
     */
    static final String LABEL_NAME = "[a-zA-Z_][a-zA-Z0-9_]{0,99}";

    static final String LABEL_NAME_MESSAGE = "must be a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, at most 100)";

    /** One severity level: threshold (a margin for comparative rules) and an optional own {@code for}. */
    public record LevelRequest(@NotNull Double threshold, @PositiveOrZero Long forSeconds) {}

    /** Which windows the rule watches; null criteria match anything. */
    public record ScopeRequest(
            Set<@NotNull ScopeType> types,
            @CleanText @Size(max = 200) String flagKey,
            Cohort cohort,
            @CleanText @Size(max = 200) String table,
            Platform platform,
            WindowKind windowKind) {}
}
