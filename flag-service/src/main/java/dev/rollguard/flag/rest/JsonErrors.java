package dev.rollguard.flag.rest;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DatabindException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.InvalidDefinitionException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.rollguard.flag.api.TextRules;
import dev.rollguard.http.RequestFields;
import dev.rollguard.http.StrictJsonSyntax;
import dev.rollguard.http.error.ErrorBody;
import java.io.CharConversionException;
import java.io.IOException;
import java.math.BigDecimal;
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
        StreamConstraintsException limit = find(failure, StreamConstraintsException.class);
        if (limit != null) {
            return new ErrorBody(
                    "VALIDATION_FAILED",
                    "body " + beyond(limit),
                    List.of(new ErrorBody.Violation("body", beyond(limit))));
        }
        InputCoercionException range = find(failure, InputCoercionException.class);
        if (range != null) {
            String field = failure instanceof JsonMappingException mapping ? field(mapping.getPath()) : "body";
            String message = outOfRange(range.getTargetType(), negative(range));
            return new ErrorBody(
                    "VALIDATION_FAILED", field + " " + message, List.of(new ErrorBody.Violation(field, message)));
        }
        if (failure instanceof DatabindException && failure.getCause() instanceof StreamReadException syntax) {
            // The syntax error of a value a field was being read from: the body's, not the field's.
            return describe(syntax);
        }
        if (notUtf8(failure)) {
            return new ErrorBody("MALFORMED_JSON", "the body is not valid UTF-8" + where(failure));
        }
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
        } else if (failure instanceof InvalidFormatException format && tooLargeWhole(format) != null) {
            message = tooLargeWhole(format);
        } else if (failure instanceof MismatchedInputException mismatch) {
            message = expected(mismatch.getTargetType());
        } else {
            message = "has a value that cannot be used here";
        }
        return new ErrorBody(
                "VALIDATION_FAILED", field + " " + message, List.of(new ErrorBody.Violation(field, message)));
    }

    /**
     * What to say of a request body that is not a JSON value the service reads, where no field can be named (OFREP's
     * body, read as a tree).
     */
    static String unreadable(IOException failure) {
        StreamConstraintsException limit = find(failure, StreamConstraintsException.class);
        if (limit != null) {
            return "the request body " + beyond(limit);
        }
        return notUtf8(failure) ? "the request body is not valid UTF-8" : "the request body is not valid JSON";
    }

    /** The first of {@code failure} and its causes that is a {@code type}, or null. */
    private static <T extends Throwable> T find(Throwable failure, Class<T> type) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    /**
     * What a body beyond one of the parser's limits (StreamReadConstraints, the defaults) is beyond: valid JSON, but
     * nested too deep or with a number or string too long to read safely.
     */
    private static String beyond(StreamConstraintsException limit) {
        String said = limit.getOriginalMessage() == null ? "" : limit.getOriginalMessage();
        StreamReadConstraints limits = StreamReadConstraints.defaults();
        if (said.startsWith("Document nesting depth")) {
            return "is nested deeper than " + limits.getMaxNestingDepth() + " levels";
        }
        if (said.startsWith("Number value length") || said.startsWith("Number length")) {
            return "holds a number longer than " + limits.getMaxNumberLength() + " characters";
        }
        return "holds a string, a name or more tokens than this service reads";
    }

    /**
     * Whether the body's bytes are not UTF-8 (RFC 8259 §8.1: JSON exchanged between systems is UTF-8); Jackson says so
     * only in its message, "Invalid UTF-8 start byte 0xe9".
     */
    private static boolean notUtf8(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof CharConversionException
                    || (t instanceof JsonProcessingException json
                            && json.getOriginalMessage() != null
                            && json.getOriginalMessage().startsWith("Invalid UTF-8"))) {
                return true;
            }
        }
        return false;
    }

    /** Whether the number a coercion refused was below zero (its message quotes it: "Numeric value (-9...)"). */
    private static boolean negative(InputCoercionException range) {
        String said = range.getOriginalMessage();
        return said != null && said.contains("value (-");
    }

    /** The bound a whole number of {@code type} passes, in the API's words. */
    private static String outOfRange(Class<?> type, boolean negative) {
        long bound;
        if (type == Integer.class || type == int.class) {
            bound = negative ? Integer.MIN_VALUE : Integer.MAX_VALUE;
        } else if (type == Short.class || type == short.class) {
            bound = negative ? Short.MIN_VALUE : Short.MAX_VALUE;
        } else if (type == Long.class || type == long.class) {
            bound = negative ? Long.MIN_VALUE : Long.MAX_VALUE;
        } else {
            return "is out of range";
        }
        return (negative ? "must be at least " : "must be at most ") + bound;
    }

    /**
     * What to say of a whole number written with a fraction or an exponent ({@code 1e12}) that a whole-number field
     * refused: "must be at most N" when it is beyond the field's range (it is whole, just too large); null when it is
     * in range or not whole (the field's type says what it needs).
     */
    private static String tooLargeWhole(InvalidFormatException format) {
        if (!(format.getValue() instanceof Number number)) {
            return null;
        }
        if (number instanceof Double d && d.isInfinite()) {
            return outOfRange(format.getTargetType(), d < 0);
        }
        BigDecimal value;
        try {
            value = number instanceof BigDecimal decimal ? decimal : new BigDecimal(number.toString());
        } catch (NumberFormatException e) {
            return null;
        }
        Class<?> type = format.getTargetType();
        long min;
        long max;
        if (type == Integer.class || type == int.class) {
            min = Integer.MIN_VALUE;
            max = Integer.MAX_VALUE;
        } else if (type == Long.class || type == long.class) {
            min = Long.MIN_VALUE;
            max = Long.MAX_VALUE;
        } else if (type == Short.class || type == short.class) {
            min = Short.MIN_VALUE;
            max = Short.MAX_VALUE;
        } else {
            return null;
        }
        if (value.compareTo(BigDecimal.valueOf(max)) > 0 || value.compareTo(BigDecimal.valueOf(min)) < 0) {
            if (value.stripTrailingZeros().scale() <= 0) {
                return outOfRange(type, value.signum() < 0);
            }
        }
        return null;
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
