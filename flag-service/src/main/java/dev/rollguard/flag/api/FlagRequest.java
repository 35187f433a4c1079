package dev.rollguard.flag.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.schemas.event.ConstraintOperator;
import dev.rollguard.schemas.event.FlagValueType;
import jakarta.validation.Valid;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Digits;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Positive;
import jakarta.validation.constraints.PositiveOrZero;
import jakarta.validation.constraints.Size;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

/**
 * A flag as written by POST /api/flags, and the document a PATCH merges into. Omitted fields take their defaults: a
 * boolean flag with variants {@code on: true} and {@code off: false}, disabled, rollout 0 %, and the default rollout
 * plan (internal, 10 %, 50 %, 100 %); an empty {@code stages} list means the share is set by hand.
 */
public record FlagRequest(
        @NotNull @CleanText @Size(max = 128) @Pattern(regexp = FlagKeys.PATTERN, message = FlagKeys.MESSAGE) String key,
        @CleanText(multiline = true) @Size(max = 2000) String description,
        @CleanText @Size(max = 200) String owner,
        FlagValueType type,
        Boolean enabled,
        @CleanText @Size(max = 128) @Pattern(regexp = FlagKeys.PATTERN, message = FlagKeys.MESSAGE) String parent,
        @Size(max = 10000) List<@NotBlank @CleanText @Size(max = 256) String> allowList,
        @Size(max = 10000) List<@NotBlank @CleanText @Size(max = 256) String> denyList,
        @DecimalMin("0")
                @DecimalMax("100")
                @Digits(
                        integer = 3,
                        fraction = 2,
                        message = "must be a percentage with at most two decimals (0.01 steps)")
                BigDecimal rolloutPercentage,
        @Size(max = 100)
                Map<@NotBlank @CleanText @Size(max = 128) String, @NotNull @CleanText(multiline = true) JsonNode>
                        variants,
        @CleanText @Size(max = 128) String treatmentVariant,
        @CleanText @Size(max = 128) String offVariant,
        @Size(max = MAX_RULES) List<@Valid @NotNull RuleRequest> rules,
        @Size(max = 100) List<@Valid @NotNull WeightRequest> variantWeights,
        @Size(max = 50) List<@Valid @NotNull StageRequest> stages,
        @PositiveOrZero Integer currentStage,
        @Valid GuardPolicyRequest guardPolicy,
        @Valid MinimumsRequest onMinimumsNotMet) {

    public static final int MAX_RULES = 100;

    /**
     * The longest soak, deadline, extension or cooldown (10 years, in seconds): added to instants, a longer one would
     * pass the largest instant there is.
     */
    public static final long MAX_DURATION_SECONDS = 315_360_000L;

    public static final String MAX_DURATION_MESSAGE = "must be at most " + MAX_DURATION_SECONDS + " (10 years)";

    /** Letters, digits, '-' and '_' (at most 64): a rule id or segment key, as reasons and errors name it. */
    public static final String TARGETING_ID = "[A-Za-z0-9_-]+";

    public static final String TARGETING_ID_MESSAGE = "must be letters, digits, '-' or '_'";

    /**
     * One targeting rule: the subjects in every segment and matching every constraint get {@code variant}, or, without
     * one, the treatment on {@code rolloutPercentage} of them (100 when omitted) by the flag's bucket.
     */
    public record RuleRequest(
            @NotBlank @CleanText @Size(max = 64) @Pattern(regexp = TARGETING_ID, message = TARGETING_ID_MESSAGE)
                    String id,
            @CleanText(multiline = true) @Size(max = 2000) String description,
            @Size(max = 20)
                    List<
                                    @NotBlank @CleanText @Size(max = 64)
                                    @Pattern(regexp = TARGETING_ID, message = TARGETING_ID_MESSAGE) String>
                            segments,
            @Size(max = 50) List<@Valid @NotNull ConstraintRequest> constraints,
            @CleanText @Size(max = 128) String variant,
            @DecimalMin("0")
                    @DecimalMax("100")
                    @Digits(
                            integer = 3,
                            fraction = 2,
                            message = "must be a percentage with at most two decimals (0.01 steps)")
                    BigDecimal rolloutPercentage) {}

    /**
     * A constraint on one attribute of the evaluation context (the FlagChangedEvent's Constraint documents each
     * operator).
     */
    public record ConstraintRequest(
            @NotBlank @CleanText @Size(max = 128) String attribute,
            @NotNull ConstraintOperator operator,
            @Size(max = 1000) List<@NotNull @CleanText @Size(max = 1024) String> values,
            Boolean negate,
            Boolean caseInsensitive) {}

    /** A variant's share of the subjects the rollout treats; the weights sum to 100. */
    public record WeightRequest(
            @NotBlank @CleanText @Size(max = 128) String variant,
            @NotNull
                    @DecimalMin("0")
                    @DecimalMax("100")
                    @Digits(
                            integer = 3,
                            fraction = 2,
                            message = "must be a percentage with at most two decimals (0.01 steps)")
                    BigDecimal weight) {}

    /** One step of a rollout plan. */
    public record StageRequest(
            @NotBlank @CleanText @Size(max = 64) String name,
            @NotNull
                    @DecimalMin("0")
                    @DecimalMax("100")
                    @Digits(
                            integer = 3,
                            fraction = 2,
                            message = "must be a percentage with at most two decimals (0.01 steps)")
                    BigDecimal percentage,
            @PositiveOrZero @Max(value = MAX_DURATION_SECONDS, message = MAX_DURATION_MESSAGE) Long minSoakSeconds,
            @PositiveOrZero Long minClientsPerCohort,
            @CleanText @Pattern(regexp = "auto|manual", message = "must be auto or manual") String promotion,
            @Min(value = 1, message = "must be a whole percentage from 1 to 300")
                    @Max(value = 300, message = "must be a whole percentage from 1 to 300")
                    Integer tolerancePercent) {}

    /**
     * What a stage does when it has not reached its minimum clients per cohort within {@code deadlineSeconds}: it is
     * extended once by {@code extensionSeconds}, then holds or reverts to the previous stage.
     */
    public record MinimumsRequest(
            @Positive @Max(value = MAX_DURATION_SECONDS, message = MAX_DURATION_MESSAGE) Long deadlineSeconds,
            @PositiveOrZero @Max(value = MAX_DURATION_SECONDS, message = MAX_DURATION_MESSAGE) Long extensionSeconds,
            @CleanText @Pattern(regexp = "hold|revert", message = "must be hold or revert") String then) {}

    /** What the rollback-service does on a critical alert naming the flag. */
    public record GuardPolicyRequest(
            dev.rollguard.schemas.event.GuardAction action,
            Boolean dryRun,
            @PositiveOrZero @Max(value = MAX_DURATION_SECONDS, message = MAX_DURATION_MESSAGE) Long cooldownSeconds) {}
}
