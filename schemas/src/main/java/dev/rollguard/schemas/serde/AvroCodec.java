package dev.rollguard.schemas.serde;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.data.TimeConversions;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.message.SchemaStore;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

/**
 * Encodes and decodes one event type with Avro single-object encoding: a two-byte marker, the 8-byte CRC-64-AVRO
 * fingerprint of the writer schema, then the binary body. No registry is needed: the writer schema is looked up by
 * fingerprint among the current schema and its released versions ({@link SchemaHistory}) and resolved to the
 * current one.
 *
 * <p>Thread-safe. The Avro model is built with the event class's own class loader, because Kafka Streams and
 * SmallRye consumer threads carry a context class loader that does not see the generated classes.
 */
public final class AvroCodec<T extends SpecificRecord> {

    private static final ConcurrentHashMap<Class<?>, AvroCodec<?>> CODECS = new ConcurrentHashMap<>();

    private final Class<T> type;
    private final Schema schema;
    private final BinaryMessageEncoder<T> encoder;
    private final BinaryMessageDecoder<T> decoder;

    private AvroCodec(Class<T> type) {
        this.type = type;
        this.schema = SpecificData.get().getSchema(type);
        SpecificData model = new SpecificData(type.getClassLoader());
        model.addLogicalTypeConversion(new TimeConversions.TimestampMillisConversion());
        model.addLogicalTypeConversion(new TimeConversions.TimestampMicrosConversion());
        model.addLogicalTypeConversion(new TimeConversions.DateConversion());
        SchemaStore.Cache writers = new SchemaStore.Cache();
        SchemaHistory.versions(schema.getFullName()).forEach(writers::addSchema);
        this.encoder = new BinaryMessageEncoder<>(model, schema);
        this.decoder = new BinaryMessageDecoder<>(model, schema, writers);
    }

    /** The shared codec of an event class. */
    @SuppressWarnings("unchecked")
    public static <T extends SpecificRecord> AvroCodec<T> of(Class<T> type) {
        return (AvroCodec<T>) CODECS.computeIfAbsent(type, t -> new AvroCodec<>(type));
    }

    public Class<T> type() {
        return type;
    }

    public Schema schema() {
        return schema;
    }

    /** The CRC-64-AVRO fingerprint written in front of every record of the current schema. */
    public long fingerprint() {
        return SchemaNormalization.parsingFingerprint64(schema);
    }

    public byte[] encode(T event) {
        try {
            ByteBuffer buffer = encoder.encode(event);
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            return bytes;
        } catch (IOException | AvroRuntimeException | ClassCastException | NullPointerException e) {
            throw new IllegalArgumentException("cannot encode " + type.getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Decodes bytes written by the current schema or any released version of it.
     *
     * @throws AvroDecodingException with a {@link AvroDecodingException.Reason} when the bytes are not such a record
     */
    public T decode(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            throw new AvroDecodingException(
                    AvroDecodingException.Reason.EMPTY,
                    "empty payload where a " + type.getSimpleName() + " was expected",
                    null);
        }
        try {
            return decoder.decode(bytes);
        } catch (MissingSchemaException e) {
            throw new AvroDecodingException(
                    AvroDecodingException.Reason.UNKNOWN_FINGERPRINT,
                    type.getSimpleName() + " written with an unknown schema: " + e.getMessage(),
                    e);
        } catch (BadHeaderException e) {
            throw new AvroDecodingException(
                    AvroDecodingException.Reason.NOT_SINGLE_OBJECT,
                    "not an Avro single-object encoded " + type.getSimpleName() + ": " + e.getMessage(),
                    e);
        } catch (IOException | RuntimeException e) {
            throw new AvroDecodingException(
                    AvroDecodingException.Reason.MALFORMED,
                    "malformed " + type.getSimpleName() + " (truncated or not matching its schema): " + e,
                    e);
        }
    }
}
