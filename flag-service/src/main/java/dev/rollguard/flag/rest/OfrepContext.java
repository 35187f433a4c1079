package dev.rollguard.flag.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.rollguard.flag.api.FiniteNumbers;
import dev.rollguard.schemas.targeting.EvaluationContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.apache.commons.codec.digest.MurmurHash3;

/**
 * The evaluation context of an OFREP request body {@code {"context": {"targetingKey": "...", ...}}}.
 *
 * @param targetingKey the subject, or null when the context has none
 * @param context the whole context object, or null
 */
record OfrepContext(String targetingKey, JsonNode context) {

    /** A request that is not an OFREP evaluation request. */
    static final class Invalid extends Exception {
        final String errorCode;

        Invalid(String errorCode, String message) {
            super(message, null, false, false);
            this.errorCode = errorCode;
        }
    }

    /** Reads a request body; an empty body is an empty context, as OFREP makes the context optional. */
    static OfrepContext parse(ObjectMapper json, byte[] body) throws Invalid {
        if (body == null || body.length == 0) {
            return new OfrepContext(null, null);
        }
        JsonNode request;
        try {
            request = json.readTree(body);
        } catch (IOException e) {
            throw new Invalid("PARSE_ERROR", JsonErrors.unreadable(e));
        }
        if (request == null || request.isMissingNode()) {
            return new OfrepContext(null, null);
        }
        if (!request.isObject()) {
            throw new Invalid("PARSE_ERROR", "the request body must be a JSON object {\"context\": {...}}");
        }
        JsonNode context = request.get("context");
        if (context == null || context.isNull()) {
            return new OfrepContext(null, null);
        }
        if (!context.isObject()) {
            throw new Invalid("INVALID_CONTEXT", "context must be a JSON object");
        }
        String outOfRange = FiniteNumbers.outOfRange(context);
        if (outOfRange != null) {
            throw new Invalid("INVALID_CONTEXT", "context" + outOfRange + " " + FiniteNumbers.MESSAGE);
        }
        JsonNode key = context.get("targetingKey");
        if (key == null || key.isNull()) {
            return new OfrepContext(null, context);
        }
        if (!key.isTextual()) {
            throw new Invalid("INVALID_CONTEXT", "context.targetingKey must be a string");
        }
        return new OfrepContext(key.textValue(), context);
    }

    /**
     * What targeting rules read: the targeting key and every other attribute of the context, strings, numbers and
     * booleans as they are, objects and arrays as their JSON text; null members are absent.
     */
    EvaluationContext evaluationContext() {
        if (context == null || context.size() <= (targetingKey == null ? 0 : 1)) {
            return EvaluationContext.of(targetingKey);
        }
        Map<String, Object> attributes = new HashMap<>();
        context.properties().forEach(member -> {
            JsonNode value = member.getValue();
            if (value.isNull() || EvaluationContext.TARGETING_KEY.equals(member.getKey())) {
                return;
            }
            attributes.put(
                    member.getKey(),
                    value.isTextual()
                            ? value.textValue()
                            : value.isNumber()
                                    ? value.numberValue()
                                    : value.isBoolean() ? value.booleanValue() : value.toString());
        });
        return EvaluationContext.of(targetingKey, attributes);
    }

    /** A hash of the context with its members in a fixed order, so equal contexts give equal ETags. */
    String hash(ObjectMapper json) {
        if (context == null) {
            return "0";
        }
        try {
            Object plain = json.treeToValue(context, Object.class);
            byte[] canonical = json.writer()
                    .with(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
                    .writeValueAsString(plain)
                    .getBytes(StandardCharsets.UTF_8);
            long[] hash = MurmurHash3.hash128x64(canonical, 0, canonical.length, 0);
            return Long.toHexString(hash[0]);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a parsed context always serializes", e);
        }
    }
}
