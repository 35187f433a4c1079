package dev.rollguard.console.view;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/** Reading the services' JSON leniently: a missing or null field is null, instants as ISO text or epoch millis. */
final class Json {

    private Json() {}

    static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }

    static Double dbl(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || !value.isNumber() ? null : value.asDouble();
    }

    static Long lng(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || !value.isNumber() ? null : value.asLong();
    }

    static Instant instant(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (value.isNumber()) {
            // Jackson writes Instants as seconds with a fraction unless told otherwise.
            return value.isIntegralNumber() && value.asLong() > 100_000_000_000L
                    ? Instant.ofEpochMilli(value.asLong())
                    : Instant.ofEpochSecond(0, Math.round(value.asDouble() * 1_000_000_000d));
        }
        try {
            return Instant.parse(value.asText());
        } catch (RuntimeException e) {
            return null;
        }
    }
}
