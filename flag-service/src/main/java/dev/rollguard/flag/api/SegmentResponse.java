package dev.rollguard.flag.api;

import java.time.Instant;
import java.util.List;

/**
 * A segment as the admin API shows it; {@code usedBy} lists the flags (not archived) whose rules reference it, which
 * a change republishes and which keep it from being deleted.
 */
public record SegmentResponse(
        String key,
        String description,
        List<FlagResponse.ConstraintResponse> constraints,
        List<String> usedBy,
        long version,
        Instant createdAt,
        Instant updatedAt,
        String updatedBy) {}
