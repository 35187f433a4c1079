package dev.rollguard.console.view;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A silence of the alert-service as the silences page shows it: its matchers written as Alertmanager writes them
 * ({@code table="orders"}, {@code flag=~"checkout-.*"}), who made it and why, until when, and who ended it early.
 *
 * @param state PENDING, ACTIVE or EXPIRED, as the alert-service answers
 */
public record SilenceRow(
        String id,
        List<String> matchers,
        Instant startsAt,
        Instant endsAt,
        String createdBy,
        String comment,
        Instant expiredAt,
        String expiredBy,
        String state) {

    public static SilenceRow of(JsonNode n) {
        List<String> matchers = new ArrayList<>();
        n.path("matchers").forEach(m -> matchers.add(matcher(m)));
        return new SilenceRow(
                n.path("id").asText(),
                matchers,
                instant(n.path("startsAt")),
                instant(n.path("endsAt")),
                n.path("createdBy").asText(""),
                n.path("comment").asText(""),
                instant(n.path("expiredAt")),
                n.hasNonNull("expiredBy") ? n.get("expiredBy").asText() : null,
                n.path("state").asText("EXPIRED"));
    }

    /** Whether it has not ended: in force, or waiting for its start. */
    public boolean current() {
        return !state.equals("EXPIRED");
    }

    static String matcher(JsonNode m) {
        boolean regex = m.path("isRegex").asBoolean(false);
        boolean equal = m.path("isEqual").asBoolean(true);
        String op = equal ? (regex ? "=~" : "=") : (regex ? "!~" : "!=");
        String value = m.path("value").asText("").replace("\\", "\\\\").replace("\"", "\\\"");
        return m.path("name").asText() + op + '"' + value + '"';
    }

    private static Instant instant(JsonNode n) {
        return n.isTextual() ? Instant.parse(n.asText()) : null;
    }
}
