package dev.rollguard.flag.rest;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DatabindException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.InvalidDefinitionException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.rollguard.flag.api.TextRules;
import dev.rollguard.http.RequestFields;
import dev.rollguard.http.StrictJsonSyntax;
import dev.rollguard.http.error.ErrorBody;
import java.math.BigInteger;
import java.time.temporal.Temporal;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Says what is wrong with a request body that Jackson could not read, in the API's words: the field as the client
 * wrote it ({@code stages[1].percentage}) and the JSON type it needs, or the fields it may name instead of one it does
 * not know; never a Java type.
 */
final class JsonErrors {

    private JsonErrors() {}

    /** The error for {@code failure}, or null when it is not the client's doing (a mapping the service got wrong). */
    static ErrorBody describe(JsonProcessingException failure) {
        if (failure instanceof StreamReadException) {
            String repeated = repeatedKey(failure);
            return new ErrorBody(
                    "MALFORMED_JSON",
                    "the body is not valid JSON"
                            + (repeated == null ? "" : ": the key '" + repeated + "' appears twice") + where(failure));
        }
        if (StrictJsonSyntax.contentAfterValue(failure)) {
            return new ErrorBody(
                    "MALFORMED_JSON", "the body is not valid JSON: more content follows its value" + where(failure));
        }
        if (failure instanceof InvalidDefinitionException || !(failure instanceof DatabindException)) {
            return null;
        }
        JsonMappingException mapping = (JsonMappingException) failure;
        String field = field(mapping.getPath());
        String message;
        if (failure instanceof UnrecognizedPropertyException unknown) {
            message = RequestFields.unknownField(unknown.getKnownPropertyIds());
        } else if (failure instanceof MismatchedInputException mismatch) {
            message = expected(mismatch.getTargetType());
        } else {
            message = "has a value that cannot be used here";
        }
        return new ErrorBody(
                "VALIDATION_FAILED", field + " " + message, List.of(new ErrorBody.Violation(field, message)));
    }

    private static String where(JsonProcessingException failure) {
        JsonLocation at = failure.getLocation();
        return at == null || at.getLineNr() < 1
                ? ""
                : " (line %d, column %d)".formatted(at.getLineNr(), at.getColumnNr());
    }

    /**
     * The key an object of the body repeats (STRICT_DUPLICATE_DETECTION, {@link dev.rollguard.http.StrictJsonSyntax}),
     * or null for any other syntax error: Jackson says so only in its message, "Duplicate field 'name'".
     */
    private static String repeatedKey(JsonProcessingException failure) {
        String message = failure.getOriginalMessage();
        String prefix = "Duplicate field '";
        if (message == null || !message.startsWith(prefix) || !message.endsWith("'")) {
            return null;
        }
        return TextRules.visible(message.substring(prefix.length(), message.length() - 1));
    }

    /** The field as a path of the request body: {@code guardPolicy.action}, {@code stages[1].name}, or {@code body}. */
    static String field(List<JsonMappingException.Reference> path) {
        StringBuilder out = new StringBuilder();
        for (JsonMappingException.Reference reference : path) {
            if (reference.getFieldName() != null) {
                if (!out.isEmpty()) {
                    out.append('.');
                }
                out.append(TextRules.visible(reference.getFieldName()));
            } else if (reference.getIndex() >= 0) {
                out.append('[').append(reference.getIndex()).append(']');
            }
        }
        return out.isEmpty() ? "body" : out.toString();
    }

    /** What a value of {@code type} looks like in JSON. */
    static String expected(Class<?> type) {
        if (type == null) {
            return "has the wrong type";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "must be true or false";
        }
        if (type == Integer.class
                || type == int.class
                || type == Long.class
                || type == long.class
                || type == Short.class
                || type == short.class
                || type == BigInteger.class) {
            return "must be a whole number";
        }
        if (Number.class.isAssignableFrom(type) || type.isPrimitive()) {
            return "must be a number";
        }
        if (CharSequence.class.isAssignableFrom(type) || type == Character.class) {
            return "must be a string";
        }
        if (type.isEnum()) {
            return "must be one of "
                    + Arrays.stream(type.getEnumConstants())
                            .map(constant -> ((Enum<?>) constant).name())
                            .collect(Collectors.joining(", "));
        }
        if (type.isArray() || Collection.class.isAssignableFrom(type)) {
            return "must be an array";
        }
        if (JsonNode.class.isAssignableFrom(type)) {
            return "must be a JSON value";
        }
        if (Temporal.class.isAssignableFrom(type)) {
            return "must be an ISO-8601 instant such as 2026-01-31T12:00:00Z";
        }
        if (Map.class.isAssignableFrom(type)
                || type.isRecord()
                || !type.getName().startsWith("java.")) {
            return "must be a JSON object";
        }
        return "has the wrong type";
    }
}
