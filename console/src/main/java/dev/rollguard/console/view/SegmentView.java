package dev.rollguard.console.view;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A segment as the flag-service's {@code /api/segments} answers it: a named, reusable set of constraints, and the flags
 * whose rules use it.
 */
public record SegmentView(
        String key,
        String description,
        List<String> constraints,
        List<String> usedBy,
        Instant updatedAt,
        String updatedBy,
        JsonNode raw) {

    public static SegmentView of(JsonNode n) {
        List<String> constraints = new ArrayList<>();
        n.path("constraints").forEach(c -> constraints.add(ConstraintText.of(c)));
        List<String> usedBy = new ArrayList<>();
        n.path("usedBy").forEach(f -> usedBy.add(f.asText()));
        return new SegmentView(
                n.path("key").asText(""),
                Json.text(n, "description"),
                constraints,
                usedBy,
                Json.instant(n, "updatedAt"),
                Json.text(n, "updatedBy"),
                n);
    }
}
