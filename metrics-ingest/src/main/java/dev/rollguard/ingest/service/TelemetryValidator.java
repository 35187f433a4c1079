package dev.rollguard.ingest.service;

import dev.rollguard.ingest.domain.CleanText;
import dev.rollguard.ingest.domain.Violation;
import dev.rollguard.schemas.event.FlagExposure;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.event.UploadEvent;
import dev.rollguard.schemas.keys.FlagKeys;
import dev.rollguard.schemas.telemetry.ContextRefusal;
import dev.rollguard.schemas.telemetry.TelemetryLimits;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.specific.SpecificRecord;

/**
 * The semantic checks of a decoded telemetry event, the same for records read from Kafka and events posted over
 * HTTP: every text field clean ({@link CleanText}), ids present and not oversized, no negative durations or counts,
 * event time neither ahead of the clock by more than the allowed skew nor older than the topics' retention, exposures
 * and context attributes well formed. The limits are the schemas' {@link TelemetryLimits}, which the Java client
 * applies too; those an operator may change come in {@link ValidationRules}.
 */
public final class TelemetryValidator {

    /** Longest flag key, variant and table name: {@link TelemetryLimits#MAX_KEY_LENGTH}. */
    public static final int MAX_KEY_LENGTH = TelemetryLimits.MAX_KEY_LENGTH;

    private final ValidationRules rules;

    public TelemetryValidator(ValidationRules rules) {
        this.rules = rules;
    }

    /** The first rule the event breaks at wall-clock time {@code now}, or null when it is valid. */
    public Violation validate(SpecificRecord event, long now) {
        // Most events are clean: check them without spelling out each field's path, which only a violation needs.
        Violation text = event == null || clean(event) ? null : cleanText(null, event);
        if (text != null) {
            return text;
        }
        if (event instanceof SyncEvent s) {
            return validateSync(s, now);
        }
        if (event instanceof UploadEvent u) {
            return validateUpload(u, now);
        }
        return new Violation(
                Violation.UNKNOWN_TYPE,
                "not a telemetry event: "
                        + (event == null ? "null" : event.getSchema().getName()));
    }

    private Violation validateSync(SyncEvent e, long now) {
        Violation common = common(
                e.getEventId(),
                e.getEventTime(),
                e.getClientId(),
                e.getUserId(),
                e.getSessionId(),
                e.getAppVersion(),
                e.getTable(),
                e.getExposures(),
                e.getDurationMs(),
                e.getErrorCode(),
                e.getErrorMessage(),
                now);
        if (common == null) {
            common = context(e.getContext());
        }
        if (common != null) {
            return common;
        }
        Violation counts = nonNegative("recordsSynced", e.getRecordsSynced());
        if (counts == null) {
            counts = storageAndQueues(
                    e.getStorageUsedBytes(),
                    e.getStorageQuotaBytes(),
                    e.getPendingMutations(),
                    e.getFailedMutations(),
                    e.getSyncQueueLength());
        }
        return counts;
    }

    private Violation validateUpload(UploadEvent e, long now) {
        Violation common = common(
                e.getEventId(),
                e.getEventTime(),
                e.getClientId(),
                e.getUserId(),
                e.getSessionId(),
                e.getAppVersion(),
                e.getTable(),
                e.getExposures(),
                e.getDurationMs(),
                e.getErrorCode(),
                e.getErrorMessage(),
                now);
        if (common == null) {
            common = context(e.getContext());
        }
        if (common != null) {
            return common;
        }
        Violation counts = nonNegative("bytes", e.getBytes());
        if (counts == null && e.getBytes() > TelemetryLimits.MAX_UPLOAD_BYTES) {
            counts = new Violation(
                    Violation.OVERSIZED_FIELD,
                    "bytes must be at most " + TelemetryLimits.MAX_UPLOAD_BYTES + " (1 TiB), was " + e.getBytes());
        }
        if (counts == null) {
            counts = storageAndQueues(
                    e.getStorageUsedBytes(),
                    e.getStorageQuotaBytes(),
                    e.getPendingMutations(),
                    e.getFailedMutations(),
                    e.getSyncQueueLength());
        }
        return counts;
    }

    @SuppressWarnings("java:S107") // the shared fields of the two event types, checked once
    private Violation common(
            String eventId,
            Instant eventTime,
            String clientId,
            String userId,
            String sessionId,
            String appVersion,
            String table,
            List<FlagExposure> exposures,
            long durationMs,
            String errorCode,
            String errorMessage,
            long now) {
        Violation v = requiredId("eventId", eventId);
        if (v == null) {
            v = requiredId("clientId", clientId);
        }
        if (v == null) {
            v = optionalId("userId", userId);
        }
        if (v == null) {
            v = optionalId("sessionId", sessionId);
        }
        if (v == null) {
            v = optionalId("appVersion", appVersion);
        }
        if (v == null) {
            v = optionalKey("table", table);
        }
        if (v == null) {
            v = optionalId("errorCode", errorCode);
        }
        if (v == null && errorMessage != null && errorMessage.length() > rules.maxMessageLength()) {
            v = new Violation(
                    Violation.OVERSIZED_FIELD,
                    "errorMessage is longer than " + rules.maxMessageLength() + " characters");
        }
        if (v == null) {
            v = time(eventTime, now);
        }
        if (v == null && durationMs < 0) {
            v = new Violation(Violation.NEGATIVE_VALUE, "durationMs must not be negative, was " + durationMs);
        }
        if (v == null && durationMs > rules.maxAge().toMillis()) {
            // Nothing a client did took longer than the oldest event it may still send; and a window's sums of
            // durations stay far from overflowing.
            v = new Violation(
                    Violation.OVERSIZED_FIELD,
                    "durationMs must be at most " + rules.maxAge().toMillis() + " (max-age " + rules.maxAge()
                            + "), was " + durationMs);
        }
        if (v == null) {
            v = exposures(exposures);
        }
        return v;
    }

    private Violation time(Instant eventTime, long now) {
        if (eventTime == null) {
            return new Violation(Violation.MISSING_FIELD, "eventTime is missing");
        }
        long t = eventTime.toEpochMilli();
        if (t > now + rules.maxClockSkew().toMillis()) {
            return new Violation(
                    Violation.FUTURE_TIMESTAMP,
                    "eventTime " + eventTime + " is more than " + rules.maxClockSkew() + " in the future");
        }
        if (t < now - rules.maxAge().toMillis()) {
            return new Violation(
                    Violation.EXPIRED_TIMESTAMP,
                    "eventTime " + eventTime + " is older than the retention of " + rules.maxAge());
        }
        return null;
    }

    private Violation exposures(List<FlagExposure> exposures) {
        if (exposures == null) {
            return null;
        }
        if (exposures.size() > rules.maxExposures()) {
            return new Violation(
                    Violation.TOO_MANY_EXPOSURES,
                    exposures.size() + " exposures, at most " + rules.maxExposures() + " are accepted");
        }
        for (int i = 0; i < exposures.size(); i++) {
            FlagExposure x = exposures.get(i);
            // An event carries up to hundreds of exposures, nearly always valid: a field's path is spelled out only
            // for the violation it names.
            if (TelemetryLimits.isAcceptedExposure(x)) {
                continue;
            }
            Violation v = requiredKey("exposures[" + i + "].flagKey", x.getFlagKey());
            if (v == null && !FlagKeys.isFlagKey(x.getFlagKey())) {
                // Not the key of any flag; and its ':' or '|' would split the scope and state keys it would make.
                v = new Violation(
                        Violation.INVALID_FIELD, "exposures[" + i + "].flagKey is not a flag key: " + FlagKeys.MESSAGE);
            }
            if (v == null) {
                v = requiredKey("exposures[" + i + "].variant", x.getVariant());
            }
            return v != null
                    ? v
                    : new Violation(Violation.NEGATIVE_VALUE, "exposures[" + i + "].flagVersion must not be negative");
        }
        return null;
    }

    private static Violation context(Map<String, String> context) {
        if (context == null || context.isEmpty()) {
            return null;
        }
        if (context.size() > TelemetryLimits.MAX_CONTEXT_ATTRIBUTES) {
            return new Violation(
                    Violation.OVERSIZED_FIELD,
                    "context has " + context.size() + " attributes, at most " + TelemetryLimits.MAX_CONTEXT_ATTRIBUTES
                            + " are accepted");
        }
        for (Map.Entry<String, String> attribute : context.entrySet()) {
            // The values' characters were checked with every text of the event (validate), where a violation says
            // where the character is.
            ContextRefusal refusal = TelemetryLimits.contextShapeRefusal(attribute.getKey(), attribute.getValue());
            if (refusal != null) {
                return contextViolation(attribute.getKey(), attribute.getValue(), refusal);
            }
        }
        return null;
    }

    /** The receiver's answer to the context attribute {@code name} = {@code value} that breaks {@code refusal}. */
    private static Violation contextViolation(String name, String value, ContextRefusal refusal) {
        return switch (refusal) {
            case EMPTY_NAME, MALFORMED_NAME ->
                new Violation(
                        Violation.INVALID_FIELD,
                        "context attribute name '" + named(name) + "' must start with a letter or '_' and hold only"
                                + " letters, digits, '_', '.' and '-'");
            case NAME_TOO_LONG ->
                notLongerThan("context attribute name", name, TelemetryLimits.MAX_CONTEXT_NAME_LENGTH);
            case RESERVED_NAME ->
                new Violation(
                        Violation.INVALID_FIELD,
                        "context." + named(name) + " is carried by the event's own field, not by its context");
            case MISSING_VALUE -> new Violation(Violation.MISSING_FIELD, "context." + named(name) + " has no value");
            case VALUE_TOO_LONG ->
                notLongerThan("context." + named(name), value, TelemetryLimits.MAX_CONTEXT_VALUE_LENGTH);
            // Not from contextShapeRefusal: answered as the check of every text of the event answers it.
            case REFUSED_CHARACTER -> CleanText.check("context." + named(name), value);
        };
    }

    private Violation storageAndQueues(
            Long storageUsed, Long storageQuota, Integer pending, Integer failed, Integer queue) {
        Violation v = nonNegative("storageUsedBytes", storageUsed);
        if (v == null) {
            v = nonNegative("storageQuotaBytes", storageQuota);
        }
        if (v == null) {
            v = mutationCount("pendingMutations", pending);
        }
        if (v == null) {
            v = mutationCount("failedMutations", failed);
        }
        if (v == null) {
            v = mutationCount("syncQueueLength", queue);
        }
        return v;
    }

    private Violation mutationCount(String field, Integer count) {
        Violation v = nonNegative(field, count);
        if (v == null && count != null && count > TelemetryLimits.MAX_MUTATION_COUNT) {
            v = new Violation(
                    Violation.OVERSIZED_FIELD,
                    field + " must be at most " + TelemetryLimits.MAX_MUTATION_COUNT + ", was " + count);
        }
        return v;
    }

    private Violation requiredId(String field, String value) {
        if (value == null || value.isBlank()) {
            return new Violation(Violation.MISSING_FIELD, field + " is missing or blank");
        }
        return optionalId(field, value);
    }

    private Violation optionalId(String field, String value) {
        return notLongerThan(field, value, rules.maxIdLength());
    }

    private static Violation requiredKey(String field, String value) {
        if (value == null || value.isBlank()) {
            return new Violation(Violation.MISSING_FIELD, field + " is missing or blank");
        }
        return optionalKey(field, value);
    }

    private static Violation optionalKey(String field, String value) {
        return notLongerThan(field, value, TelemetryLimits.MAX_KEY_LENGTH);
    }

    private static Violation notLongerThan(String field, String value, int max) {
        if (value != null && value.length() > max) {
            return new Violation(Violation.OVERSIZED_FIELD, field + " is longer than " + max + " characters");
        }
        return null;
    }

    /**
     * Whether every text of the event passes {@link CleanText} (the same rules as {@link #cleanText}, which names the
     * first violation). Runs for every event and every field of it that can hold text, hundreds of exposures included.
     */
    private static boolean clean(IndexedRecord event) {
        TextFields fields = TextFields.of(event);
        for (int i = 0; i < fields.positions().length; i++) {
            Object value = event.get(fields.positions()[i]);
            boolean ok = value instanceof CharSequence text
                    ? CleanText.firstRefused(text.toString(), fields.freeText()[i]) < 0
                    : cleanNested(value);
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /**
     * The fields of a record schema that can hold text (a string, or a record, map, array or union that can hold one),
     * by position, and whether each is free text: the only ones {@link #clean} reads, so that the numbers, flags and
     * enums of every event and exposure are not read (and boxed) for nothing. Kept per generated record class, whose
     * schema is fixed.
     */
    private record TextFields(int[] positions, boolean[] freeText) {

        private static final Map<Class<?>, TextFields> BY_CLASS = new ConcurrentHashMap<>();

        static TextFields of(IndexedRecord record) {
            if (record instanceof SpecificRecord) {
                return BY_CLASS.computeIfAbsent(record.getClass(), type -> of(record.getSchema()));
            }
            return of(record.getSchema());
        }

        static TextFields of(Schema schema) {
            List<Schema.Field> fields = schema.getFields();
            int[] positions = new int[fields.size()];
            boolean[] freeText = new boolean[fields.size()];
            int n = 0;
            for (Schema.Field field : fields) {
                if (canHoldText(field.schema(), new HashSet<>())) {
                    positions[n] = field.pos();
                    freeText[n] = CleanText.FREE_TEXT_FIELDS.contains(field.name());
                    n++;
                }
            }
            return new TextFields(Arrays.copyOf(positions, n), Arrays.copyOf(freeText, n));
        }

        /** Whether a value of this schema can be or contain a string (a map's keys are strings). */
        private static boolean canHoldText(Schema schema, Set<String> records) {
            return switch (schema.getType()) {
                case STRING, MAP -> true;
                case ARRAY -> canHoldText(schema.getElementType(), records);
                case UNION -> schema.getTypes().stream().anyMatch(t -> canHoldText(t, records));
                case RECORD ->
                    records.add(schema.getFullName())
                            && schema.getFields().stream().anyMatch(f -> canHoldText(f.schema(), records));
                default -> false;
            };
        }
    }

    private static boolean cleanNested(Object value) {
        if (value instanceof CharSequence text) {
            return CleanText.firstRefused(text.toString(), false) < 0;
        }
        if (value instanceof IndexedRecord record) {
            for (int pos : TextFields.of(record).positions()) {
                if (!cleanNested(record.get(pos))) {
                    return false;
                }
            }
            return true;
        }
        if (value instanceof Map<?, ?> map) {
            if (map.isEmpty()) {
                return true;
            }
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                if (CleanText.firstRefused(String.valueOf(entry.getKey()), false) >= 0
                        || !cleanNested(entry.getValue())) {
                    return false;
                }
            }
            return true;
        }
        if (value instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                if (!cleanNested(list.get(i))) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Every text field of the record, nested exposures included, read from its schema, so a text field added to an
     * event schema is checked without a change here.
     */
    private static Violation cleanText(String path, IndexedRecord record) {
        for (Schema.Field field : record.getSchema().getFields()) {
            String name = path == null ? field.name() : path + "." + field.name();
            Violation v = cleanValue(name, record.get(field.pos()));
            if (v != null) {
                return v;
            }
        }
        return null;
    }

    /** An attribute name as a reason names it: at most 64 characters, cut with "…" beyond (null stays null). */
    static String named(String key) {
        if (key == null || key.length() <= 64) {
            return key;
        }
        return key.substring(0, Character.isHighSurrogate(key.charAt(63)) ? 63 : 64) + "…";
    }

    private static Violation cleanValue(String path, Object value) {
        if (value instanceof CharSequence text) {
            return CleanText.check(path, text.toString());
        }
        if (value instanceof IndexedRecord nested) {
            return cleanText(path, nested);
        }
        if (value instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                String key = String.valueOf(entry.getKey());
                Violation v = CleanText.check(path + " attribute name", key);
                if (v == null) {
                    v = cleanValue(path + "." + named(key), entry.getValue());
                }
                if (v != null) {
                    return v;
                }
            }
        }
        if (value instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                Violation v = cleanValue(path + "[" + i + "]", list.get(i));
                if (v != null) {
                    return v;
                }
            }
        }
        return null;
    }

    private static Violation nonNegative(String field, Number value) {
        if (value != null && value.longValue() < 0) {
            return new Violation(Violation.NEGATIVE_VALUE, field + " must not be negative, was " + value);
        }
        return null;
    }
}
