package dev.rollguard.flag.api;

import dev.rollguard.flag.api.FlagRequest.ConstraintRequest;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.util.List;

/**
 * A segment as written by POST /api/segments (key required) and PUT /api/segments/{key} (key optional, and then the
 * path's): every constraint must match for a subject to be in it.
 */
public record SegmentRequest(
        @CleanText
                @Size(max = 64)
                @Pattern(regexp = FlagRequest.TARGETING_ID, message = FlagRequest.TARGETING_ID_MESSAGE)
                String key,
        @CleanText(multiline = true) @Size(max = 2000) String description,
        @NotNull @Size(max = 50) List<@Valid @NotNull ConstraintRequest> constraints) {}
