package dev.rollguard.schemas.serde;

import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka serde for an event class, for Kafka Streams ({@code AvroSerde.of(SyncEvent.class)}) and for plain clients.
 *
 * <p>Clients configured by class name (SmallRye channels, {@code value.deserializer=...}) use {@link
 * AvroSerializer} and {@link AvroDeserializer} with the property {@value #TYPE_CONFIG} naming the event class.
 */
public final class AvroSerde<T extends SpecificRecord> implements Serde<T> {

    /** Client property naming the event class of a configurable {@link AvroSerializer} / {@link AvroDeserializer}. */
    public static final String TYPE_CONFIG = "rollguard.avro.type";

    private final AvroSerializer<T> serializer;
    private final AvroDeserializer<T> deserializer;

    private AvroSerde(Class<T> type) {
        this.serializer = new AvroSerializer<>(type);
        this.deserializer = new AvroDeserializer<>(type);
    }

    public static <T extends SpecificRecord> AvroSerde<T> of(Class<T> type) {
        return new AvroSerde<>(type);
    }

    @Override
    public Serializer<T> serializer() {
        return serializer;
    }

    @Override
    public Deserializer<T> deserializer() {
        return deserializer;
    }

    @SuppressWarnings("unchecked")
    static <T extends SpecificRecord> AvroCodec<T> codecFromConfig(Map<String, ?> configs) {
        Object type = configs.get(TYPE_CONFIG);
        if (type == null) {
            throw new IllegalArgumentException(TYPE_CONFIG + " must name the Avro event class");
        }
        try {
            Class<?> cls = type instanceof Class<?> c
                    ? c
                    : Class.forName(type.toString(), true, AvroSerde.class.getClassLoader());
            return AvroCodec.of((Class<T>) cls.asSubclass(SpecificRecord.class));
        } catch (ClassNotFoundException | ClassCastException e) {
            throw new IllegalArgumentException(TYPE_CONFIG + "=" + type + " is not an Avro event class", e);
        }
    }

    /** Serializer of one event class. Null values pass through as Kafka tombstones. */
    public static class AvroSerializer<T extends SpecificRecord> implements Serializer<T> {
        private AvroCodec<T> codec;

        /** For clients that configure by class name; needs {@value #TYPE_CONFIG}. */
        public AvroSerializer() {}

        public AvroSerializer(Class<T> type) {
            this.codec = AvroCodec.of(type);
        }

        @Override
        public void configure(Map<String, ?> configs, boolean isKey) {
            if (codec == null) {
                codec = codecFromConfig(configs);
            }
        }

        @Override
        public byte[] serialize(String topic, T data) {
            if (data == null) {
                return null;
            }
            try {
                return codec.encode(data);
            } catch (IllegalArgumentException e) {
                throw new SerializationException("cannot serialize for " + topic + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * Deserializer of one event class. Null stays null (tombstones); bad bytes raise {@link AvroDecodingException},
     * which SmallRye's and Kafka Streams' deserialization-failure handlers route to the dead-letter topic.
     */
    public static class AvroDeserializer<T extends SpecificRecord> implements Deserializer<T> {
        private AvroCodec<T> codec;

        /** For clients that configure by class name; needs {@value #TYPE_CONFIG}. */
        public AvroDeserializer() {}

        public AvroDeserializer(Class<T> type) {
            this.codec = AvroCodec.of(type);
        }

        @Override
        public void configure(Map<String, ?> configs, boolean isKey) {
            if (codec == null) {
                codec = codecFromConfig(configs);
            }
        }

        @Override
        public T deserialize(String topic, byte[] data) {
            return data == null ? null : codec.decode(data);
        }
    }

    /**
     * Deserializer of one event class that keeps the record's original bytes beside the event ({@link Decoded}), for
     * consumers that dead-letter what they cannot handle. Null stays null (tombstones); bad bytes raise {@link
     * AvroDecodingException} like {@link AvroDeserializer}. Needs {@value #TYPE_CONFIG}.
     */
    public static class DecodedDeserializer<T extends SpecificRecord> implements Deserializer<Decoded<T>> {
        private AvroCodec<T> codec;

        /** For clients that configure by class name; needs {@value #TYPE_CONFIG}. */
        public DecodedDeserializer() {}

        public DecodedDeserializer(Class<T> type) {
            this.codec = AvroCodec.of(type);
        }

        @Override
        public void configure(Map<String, ?> configs, boolean isKey) {
            if (codec == null) {
                codec = codecFromConfig(configs);
            }
        }

        @Override
        public Decoded<T> deserialize(String topic, byte[] data) {
            return data == null ? null : new Decoded<>(codec.decode(data), data);
        }
    }

    /**
     * Writes a {@link Decoded} event as the bytes it was decoded from: the serializer of the dead-letter producer of a
     * consumer that reads with {@link DecodedDeserializer}, so dead letters carry the original bytes.
     */
    public static class DecodedSerializer implements Serializer<Decoded<?>> {

        @Override
        public byte[] serialize(String topic, Decoded<?> data) {
            return data == null ? null : data.bytes();
        }
    }
}
