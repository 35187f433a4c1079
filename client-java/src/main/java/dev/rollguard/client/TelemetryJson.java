package dev.rollguard.client;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.rollguard.schemas.event.SyncEvent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericEnumSymbol;
import org.apache.avro.specific.SpecificRecord;

/**
 * Sync and upload events in the JSON of {@code POST /api/telemetry}: the Avro fields by name plus {@code "type":
 * "sync" | "upload"}, instants as epoch milliseconds, enums as their symbols, absent optional fields left out. The
 * fields are read from the event's schema, so a field added to the schemas is sent without a change here.
 */
final class TelemetryJson {

    private static final JsonFactory JSON = new JsonFactory();

    private TelemetryJson() {}

    /**
     * The body {@code {"sentAt": ..., "events": [...]}} of one batch; {@code sentAt}, the time of the request by the
     * clock of the event times, is left out when null.
     */
    static byte[] batch(List<? extends SpecificRecord> events, Instant sentAt) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256 * events.size() + 48);
        try (JsonGenerator json = JSON.createGenerator(out)) {
            json.writeStartObject();
            if (sentAt != null) {
                json.writeNumberField("sentAt", sentAt.toEpochMilli());
            }
            json.writeArrayFieldStart("events");
            for (SpecificRecord event : events) {
                json.writeStartObject();
                json.writeStringField("type", type(event));
                fields(json, event);
                json.writeEndObject();
            }
            json.writeEndArray();
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** {@code sync} or {@code upload}. */
    static String type(SpecificRecord event) {
        return event instanceof SyncEvent ? "sync" : "upload";
    }

    private static void fields(JsonGenerator json, SpecificRecord record) throws IOException {
        for (Schema.Field field : record.getSchema().getFields()) {
            Object value = record.get(field.pos());
            if (value == null) {
                continue;
            }
            json.writeFieldName(field.name());
            value(json, value);
        }
    }

    private static void value(JsonGenerator json, Object value) throws IOException {
        if (value instanceof SpecificRecord nested) {
            json.writeStartObject();
            fields(json, nested);
            json.writeEndObject();
        } else if (value instanceof Collection<?> items) {
            json.writeStartArray();
            for (Object item : items) {
                value(json, item);
            }
            json.writeEndArray();
        } else if (value instanceof Map<?, ?> map) {
            json.writeStartObject();
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                json.writeFieldName(String.valueOf(entry.getKey()));
                value(json, entry.getValue());
            }
            json.writeEndObject();
        } else if (value instanceof Instant instant) {
            json.writeNumber(instant.toEpochMilli());
        } else if (value instanceof Boolean b) {
            json.writeBoolean(b);
        } else if (value instanceof Integer i) {
            json.writeNumber(i);
        } else if (value instanceof Long l) {
            json.writeNumber(l);
        } else if (value instanceof Double d) {
            json.writeNumber(d);
        } else if (value instanceof Float f) {
            json.writeNumber(f);
        } else if (value instanceof Enum<?> e) {
            json.writeString(e.name());
        } else if (value instanceof GenericEnumSymbol<?> symbol) {
            json.writeString(symbol.toString());
        } else if (value instanceof ByteBuffer bytes) {
            byte[] copy = new byte[bytes.remaining()];
            bytes.duplicate().get(copy);
            json.writeBinary(copy);
        } else {
            json.writeString(value.toString());
        }
    }
}
