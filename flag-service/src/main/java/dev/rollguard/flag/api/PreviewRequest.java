package dev.rollguard.flag.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.flag.api.FlagRequest.RuleRequest;
import dev.rollguard.flag.api.FlagRequest.WeightRequest;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
import java.util.List;
import java.util.Map;

/**
 * A sample evaluation context for POST /api/flags/{key}/preview, with optional draft {@code rules} and
 * {@code variantWeights} that replace the stored ones for this answer only.
 */
public record PreviewRequest(
        @NotNull @Size(max = 200) Map<@NotNull @CleanText @Size(max = 128) String, @CleanText JsonNode> context,
        @Size(max = FlagRequest.MAX_RULES) List<@Valid @NotNull RuleRequest> rules,
        @Size(max = 100) List<@Valid @NotNull WeightRequest> variantWeights) {}
