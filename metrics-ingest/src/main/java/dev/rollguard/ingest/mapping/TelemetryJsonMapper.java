package dev.rollguard.ingest.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.ingest.domain.CleanText;
import dev.rollguard.ingest.domain.Violation;
import dev.rollguard.schemas.event.FlagExposure;
import dev.rollguard.schemas.event.Platform;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.event.SyncKind;
import dev.rollguard.schemas.event.UploadEvent;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;

/**
 * Reads one posted JSON event into its Avro record. The JSON fields are the Avro fields of SyncEvent / UploadEvent,
 * plus {@code "type": "sync" | "upload"}; {@code eventTime} is epoch milliseconds or an ISO-8601 instant; enum
 * values are the schema's symbols (case-insensitive); the batch's {@code sentAt} takes the formats of {@code
 * eventTime}. Each event is read on its own, so one malformed event is reported with its reason instead of failing the
 * batch. Every string read is checked by {@link CleanText} first, so a control character is reported as such even in
 * a field that is not text in the event (type, enums, a time).
 */
public final class TelemetryJsonMapper {

    /** The earliest and the latest instant an event time may be: the range of epoch milliseconds. */
    private static final Instant EARLIEST_MILLIS = Instant.ofEpochMilli(Long.MIN_VALUE);

    private static final Instant LATEST_MILLIS = Instant.ofEpochMilli(Long.MAX_VALUE);

    private TelemetryJsonMapper() {}

    public static SpecificRecord toAvro(JsonNode node) {
        if (node == null || !node.isObject()) {
            throw new InvalidEventException(Violation.MALFORMED_EVENT, "an event must be a JSON object");
        }
        String type = text(node, "type", true).toLowerCase(Locale.ROOT);
        return switch (type) {
            case "sync" -> sync(node);
            case "upload" -> upload(node);
            default ->
                throw new InvalidEventException(
                        Violation.UNKNOWN_TYPE, "type must be \"sync\" or \"upload\", was \"" + type + "\"");
        };
    }

    /**
     * The batch's {@code sentAt}, when the device sent this request by its own clock, in the formats of an event time;
     * null when the batch has none.
     */
    public static Instant sentAt(JsonNode batch) {
        JsonNode v = batch.get("sentAt");
        return v == null || v.isNull() ? null : instant(batch, "sentAt");
    }

    private static SyncEvent sync(JsonNode n) {
        return SyncEvent.newBuilder()
                .setEventId(text(n, "eventId", true))
                .setEventTime(instant(n, "eventTime"))
                .setClientId(text(n, "clientId", true))
                .setUserId(text(n, "userId", false))
                .setSessionId(text(n, "sessionId", false))
                .setPlatform(enumValue(n, "platform", Platform.class, Platform.OTHER))
                .setAppVersion(text(n, "appVersion", false))
                .setExposures(exposures(n))
                .setSyncKind(enumValue(n, "syncKind", SyncKind.class, SyncKind.OTHER))
                .setTable(text(n, "table", false))
                .setSuccess(bool(n, "success", null))
                .setDurationMs(number(n, "durationMs", true))
                .setRecordsSynced(orZero(number(n, "recordsSynced", false)))
                .setErrorCode(text(n, "errorCode", false))
                .setErrorMessage(text(n, "errorMessage", false))
                .setStorageUsedBytes(number(n, "storageUsedBytes", false))
                .setStorageQuotaBytes(number(n, "storageQuotaBytes", false))
                .setPendingMutations(integer(n, "pendingMutations"))
                .setFailedMutations(integer(n, "failedMutations"))
                .setSyncQueueLength(integer(n, "syncQueueLength"))
                .setContext(context(n))
                .build();
    }

    private static UploadEvent upload(JsonNode n) {
        return UploadEvent.newBuilder()
                .setEventId(text(n, "eventId", true))
                .setEventTime(instant(n, "eventTime"))
                .setClientId(text(n, "clientId", true))
                .setUserId(text(n, "userId", false))
                .setSessionId(text(n, "sessionId", false))
                .setPlatform(enumValue(n, "platform", Platform.class, Platform.OTHER))
                .setAppVersion(text(n, "appVersion", false))
                .setExposures(exposures(n))
                .setTable(text(n, "table", false))
                .setSuccess(bool(n, "success", null))
                .setDurationMs(number(n, "durationMs", true))
                .setBytes(orZero(number(n, "bytes", false)))
                .setQuotaExceeded(bool(n, "quotaExceeded", false))
                .setErrorCode(text(n, "errorCode", false))
                .setErrorMessage(text(n, "errorMessage", false))
                .setStorageUsedBytes(number(n, "storageUsedBytes", false))
                .setStorageQuotaBytes(number(n, "storageQuotaBytes", false))
                .setPendingMutations(integer(n, "pendingMutations"))
                .setFailedMutations(integer(n, "failedMutations"))
                .setSyncQueueLength(integer(n, "syncQueueLength"))
                .setContext(context(n))
                .build();
    }

    private static List<FlagExposure> exposures(JsonNode n) {
        JsonNode list = n.get("exposures");
        if (list == null || list.isNull()) {
            return List.of();
        }
        if (!list.isArray()) {
            throw invalid("exposures", "must be an array");
        }
        List<FlagExposure> result = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            JsonNode x = list.get(i);
            String path = "exposures[" + i + "].";
            if (!x.isObject()) {
                throw invalid("exposures", "each exposure must be an object");
            }
            JsonNode treated = x.get("treated");
            if (treated != null && !treated.isNull() && !treated.isBoolean()) {
                throw invalid("exposures.treated", "must be true, false or null");
            }
            result.add(FlagExposure.newBuilder()
                    .setFlagKey(text(x, path, "flagKey", true))
                    .setVariant(text(x, path, "variant", true))
                    .setTreated(treated == null || treated.isNull() ? null : treated.booleanValue())
                    .setFlagVersion(number(x, "flagVersion", false))
                    .build());
        }
        return result;
    }

    /**
     * The evaluation context attributes: an object whose values are strings, numbers or booleans, carried as text
     * (the number or boolean as JSON writes it). Its size and names are checked with the rest of the event.
     */
    private static Map<String, String> context(JsonNode n) {
        JsonNode context = n.get("context");
        if (context == null || context.isNull()) {
            return Map.of();
        }
        if (!context.isObject()) {
            throw invalid("context", "must be an object of attribute names to values");
        }
        Map<String, String> result = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = context.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> attribute = it.next();
            String path = "context." + clean("context attribute name", attribute.getKey());
            JsonNode v = attribute.getValue();
            if (v.isTextual()) {
                result.put(attribute.getKey(), clean(path, v.textValue()));
            } else if (v.isNumber() || v.isBoolean()) {
                result.put(attribute.getKey(), v.asText());
            } else {
                throw invalid(path, "must be a string, a number or a boolean");
            }
        }
        return result;
    }

    private static String text(JsonNode n, String field, boolean required) {
        return text(n, "", field, required);
    }

    private static String text(JsonNode n, String path, String field, boolean required) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw new InvalidEventException(Violation.MISSING_FIELD, path + field + " is missing");
            }
            return null;
        }
        if (!v.isTextual()) {
            throw invalid(path + field, "must be a string");
        }
        return clean(path + field, v.textValue());
    }

    private static String clean(String field, String value) {
        Violation violation = CleanText.check(field, value);
        if (violation != null) {
            throw new InvalidEventException(violation.code(), violation.message());
        }
        return value;
    }

    private static Long number(JsonNode n, String field, boolean required) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw new InvalidEventException(Violation.MISSING_FIELD, field + " is missing");
            }
            return null;
        }
        if (v.isIntegralNumber() && v.canConvertToLong()) {
            return v.longValue();
        }
        int beyond = beyondLong(v);
        if (beyond != 0) {
            // Too small and too large alike: the number is whole, only beyond what the field holds.
            throw new InvalidEventException(
                    Violation.OVERSIZED_FIELD,
                    field
                            + (beyond > 0
                                    ? " must be at most " + Long.MAX_VALUE
                                    : " must be at least " + Long.MIN_VALUE));
        }
        if (v.isBigDecimal()) {
            BigDecimal value = v.decimalValue();
            if (value.signum() == 0 || value.stripTrailingZeros().scale() <= 0) {
                return value.longValueExact();
            }
        } else if (v.isFloatingPointNumber() && v.doubleValue() == Math.rint(v.doubleValue())) {
            // 1e2, 1.0: whole numbers in another spelling. The parser reads them as a double, which is exact for
            // every whole number up to 2^53 only; beyond it, the number read may not be the number written.
            if (Math.abs(v.doubleValue()) <= EXACT_IN_DOUBLE) {
                return (long) v.doubleValue();
            }
            throw invalid(
                    field,
                    "must be written without a fraction or an exponent when beyond " + EXACT_IN_DOUBLE
                            + " (2^53): such a number is read as a double, which cannot hold every whole number beyond"
                            + " it");
        }
        throw invalid(field, "must be a whole number");
    }

    /** 2^53: up to it, a double holds every whole number exactly. */
    private static final long EXACT_IN_DOUBLE = 1L << 53;

    /**
     * Whether {@code v} is a whole number above (1) or below (-1) what a long holds, such as {@code 1e20}: it is a
     * whole number, only too large, and saying otherwise would send its author looking for a fraction. 0 for any other
     * value. A number too large even for a double ({@code 1e400}) reads as infinite.
     */
    private static int beyondLong(JsonNode v) {
        if (!v.isNumber()) {
            return 0;
        }
        if (v.isFloatingPointNumber() && !v.isBigDecimal() && !Double.isFinite(v.doubleValue())) {
            return Double.isNaN(v.doubleValue()) ? 0 : (int) Math.signum(v.doubleValue());
        }
        BigDecimal value = v.decimalValue();
        if (value.signum() != 0 && value.stripTrailingZeros().scale() > 0) {
            return 0;
        }
        return value.compareTo(LONG_MAX) > 0 ? 1 : value.compareTo(LONG_MIN) < 0 ? -1 : 0;
    }

    private static final BigDecimal LONG_MAX = BigDecimal.valueOf(Long.MAX_VALUE);

    private static final BigDecimal LONG_MIN = BigDecimal.valueOf(Long.MIN_VALUE);

    private static Integer integer(JsonNode n, String field) {
        Long v = number(n, field, false);
        if (v == null) {
            return null;
        }
        if (v > Integer.MAX_VALUE || v < Integer.MIN_VALUE) {
            throw invalid(field, "must be from " + Integer.MIN_VALUE + " to " + Integer.MAX_VALUE);
        }
        return v.intValue();
    }

    private static boolean bool(JsonNode n, String field, Boolean fallback) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            if (fallback == null) {
                throw new InvalidEventException(Violation.MISSING_FIELD, field + " is missing");
            }
            return fallback;
        }
        if (!v.isBoolean()) {
            throw invalid(field, "must be true or false");
        }
        return v.booleanValue();
    }

    private static Instant instant(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            throw new InvalidEventException(Violation.MISSING_FIELD, field + " is missing");
        }
        if (v.isIntegralNumber() && v.canConvertToLong()) {
            return Instant.ofEpochMilli(v.longValue());
        }
        if (v.isTextual()) {
            Instant parsed;
            try {
                parsed = Instant.parse(clean(field, v.textValue()));
            } catch (DateTimeParseException e) {
                throw invalid(field, "must be epoch milliseconds or an ISO-8601 instant");
            }
            if (parsed.isBefore(EARLIEST_MILLIS) || parsed.isAfter(LATEST_MILLIS)) {
                // The events carry epoch milliseconds: a year beyond about 292 million has none.
                throw invalid(field, "is outside the range of epoch milliseconds");
            }
            return parsed;
        }
        throw invalid(field, "must be epoch milliseconds or an ISO-8601 instant");
    }

    private static <E extends Enum<E>> E enumValue(JsonNode n, String field, Class<E> type, E fallback) {
        String value = text(n, field, false);
        if (value == null) {
            return fallback;
        }
        try {
            return Enum.valueOf(type, value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidEventException(
                    Violation.UNKNOWN_ENUM_VALUE,
                    field + " \"" + value + "\" is not one of " + Arrays.toString(type.getEnumConstants()));
        }
    }

    private static long orZero(Long value) {
        return value == null ? 0 : value;
    }

    private static InvalidEventException invalid(String field, String message) {
        return new InvalidEventException(Violation.INVALID_FIELD, field + " " + message);
    }
}
