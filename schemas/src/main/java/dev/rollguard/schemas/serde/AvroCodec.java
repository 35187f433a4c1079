package dev.rollguard.schemas.serde;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.data.TimeConversions;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.message.BadHeaderException;
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
    private final SpecificData model;
    private final SchemaStore.Cache writers;
    /** A reader per writer schema seen, resolving it to the current schema; made once, then shared by all threads. */
    private final Map<Long, DatumReader<T>> readers = new ConcurrentHashMap<>();
    /** A binary decoder per thread, reused over the bytes of each record (Avro's own message decoder does the same). */
    private static final ThreadLocal<BinaryDecoder> DECODERS = new ThreadLocal<>();
    /** The single-object marker, then the 8-byte little-endian fingerprint of the writer schema. */
    private static final int HEADER_LENGTH = 10;

    private AvroCodec(Class<T> type) {
        this.type = type;
        this.schema = SpecificData.get().getSchema(type);
        this.model = new SpecificData(type.getClassLoader());
        model.addLogicalTypeConversion(new TimeConversions.TimestampMillisConversion());
        model.addLogicalTypeConversion(new TimeConversions.TimestampMicrosConversion());
        model.addLogicalTypeConversion(new TimeConversions.DateConversion());
        this.writers = new SchemaStore.Cache();
        // The current schema decodes too, released or not (as Avro's BinaryMessageDecoder adds its read schema).
        writers.addSchema(schema);
        SchemaHistory.versions(schema.getFullName()).forEach(writers::addSchema);
        this.encoder = new BinaryMessageEncoder<>(model, schema);
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

    @SuppressWarnings("unchecked")
    private DatumReader<T> reader(long fingerprint) {
        DatumReader<T> known = readers.get(fingerprint);
        if (known != null) {
            return known;
        }
        Schema writer = writers.findByFingerprint(fingerprint);
        if (writer == null) {
            throw new MissingSchemaException("Cannot resolve schema for fingerprint: " + fingerprint);
        }
        DatumReader<T> made = (DatumReader<T>) model.createDatumReader(writer, schema);
        readers.putIfAbsent(fingerprint, made);
        return made;
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
            // Avro's single-object decoding (BinaryMessageDecoder), reading the body from the array through a
            // buffered decoder instead of byte by byte from a stream: the same header checks and the same errors.
            if (bytes.length < HEADER_LENGTH) {
                throw new BadHeaderException("Not enough header bytes");
            }
            if (bytes[0] != (byte) 0xC3 || bytes[1] != (byte) 0x01) {
                throw new BadHeaderException(
                        String.format("Unrecognized header bytes: 0x%02X 0x%02X", bytes[0], bytes[1]));
            }
            DatumReader<T> reader = reader(
                    ByteBuffer.wrap(bytes, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong());
            BinaryDecoder decoder = DecoderFactory.get()
                    .binaryDecoder(bytes, HEADER_LENGTH, bytes.length - HEADER_LENGTH, DECODERS.get());
            DECODERS.set(decoder);
            return reader.read(null, decoder);
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
