package dev.rollguard.console.rest;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * One action as its confirmation page showed it: the Idempotency-Key its form carries to the write, so that a form
 * sent twice (a double click, a resend after a timeout) changes the flag once, and the stage the page was read at
 * ({@code stageVersion}, null off the plan), so that a promote of a stage that has moved on since is refused.
 */
public record Attempt(String idempotencyKey, Long stageVersion) {

    private static final Pattern KEY = Pattern.compile("console-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}");

    /** A new attempt, for a page about to be shown; {@code flag} is the flag or rollout answer it was read from. */
    public static Attempt fresh(JsonNode flag) {
        JsonNode version = flag == null ? null : flag.get("stageVersion");
        return new Attempt(
                "console-" + UUID.randomUUID(),
                version != null && version.canConvertToLong() ? version.asLong() : null);
    }

    /** The attempt a posted form carries; a key that is not one the console made is replaced by a new one. */
    public static Attempt posted(String key, String stageVersion) {
        Long version = null;
        if (stageVersion != null && stageVersion.strip().matches("[1-9][0-9]{0,17}")) {
            version = Long.valueOf(stageVersion.strip());
        }
        return new Attempt(key != null && KEY.matcher(key).matches() ? key : "console-" + UUID.randomUUID(), version);
    }

    public Map<String, String> headers() {
        return Map.of("Idempotency-Key", idempotencyKey);
    }
}
