package dev.rollguard.flag.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.flag.domain.MinimumsMissed;
import dev.rollguard.flag.domain.Promotion;
import dev.rollguard.schemas.event.ConstraintOperator;
import dev.rollguard.schemas.event.FlagValueType;
import dev.rollguard.schemas.event.GuardAction;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** A flag as the admin API shows it (docs/contracts.md). */
public record FlagResponse(
        String key,
        String description,
        String owner,
        FlagValueType type,
        boolean enabled,
        boolean killed,
        String killReason,
        boolean archived,
        String parent,
        List<String> allowList,
        List<String> denyList,
        double rolloutPercentage,
        Map<String, JsonNode> variants,
        String treatmentVariant,
        String offVariant,
        List<RuleResponse> rules,
        List<WeightResponse> variantWeights,
        List<StageResponse> stages,
        Integer currentStage,
        Instant stageEnteredAt,
        Long stageVersion,
        boolean paused,
        String pauseReason,
        boolean aborted,
        String abortReason,
        Integer abortedAtStage,
        MinimumsResponse onMinimumsNotMet,
        GuardPolicyResponse guardPolicy,
        long version,
        Instant createdAt,
        Instant updatedAt,
        String updatedBy) {

    public record RuleResponse(
            String id,
            String description,
            List<String> segments,
            List<ConstraintResponse> constraints,
            String variant,
            double rolloutPercentage) {}

    public record ConstraintResponse(
            String attribute,
            ConstraintOperator operator,
            List<String> values,
            boolean negate,
            boolean caseInsensitive) {}

    public record WeightResponse(String variant, double weight) {}

    public record StageResponse(
            String name,
            double percentage,
            long minSoakSeconds,
            long minClientsPerCohort,
            Promotion promotion,
            Integer tolerancePercent) {}

    public record MinimumsResponse(long deadlineSeconds, long extensionSeconds, MinimumsMissed then) {}

    public record GuardPolicyResponse(GuardAction action, boolean dryRun, long cooldownSeconds) {}
}
