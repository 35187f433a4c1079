package dev.rollguard.console.view;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** A segment as the flag-service's {@code /api/segments} answers it: a named, reusable set of constraints. */
public record SegmentView(
        String key, String description, List<String> constraints, Instant updatedAt, String updatedBy, JsonNode raw) {

    public static SegmentView of(JsonNode n) {
        List<String> constraints = new ArrayList<>();
        n.path("constraints").forEach(c -> constraints.add(ConstraintText.of(c)));
        return new SegmentView(
                n.path("key").asText(""),
                Json.text(n, "description"),
                constraints,
                Json.instant(n, "updatedAt"),
                Json.text(n, "updatedBy"),
                n);
    }
}
