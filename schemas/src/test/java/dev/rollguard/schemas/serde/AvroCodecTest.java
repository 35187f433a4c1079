package dev.rollguard.schemas.serde;

import static dev.rollguard.schemas.serde.EventFixtures.fullFlagChanged;
import static dev.rollguard.schemas.serde.EventFixtures.fullSync;
import static dev.rollguard.schemas.serde.EventFixtures.fullUpload;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollguard.schemas.Topics;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.FlagExposure;
import dev.rollguard.schemas.event.FlagVariant;
import dev.rollguard.schemas.event.GuardPolicy;
import dev.rollguard.schemas.event.RolloutStage;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.event.UploadEvent;
import dev.rollguard.schemas.serde.AvroDecodingException.Reason;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class AvroCodecTest {

    private static final String TOPIC = Topics.TELEMETRY_SYNC;

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.rollguard.schemas.serde.EventFixtures#fullyPopulated")
    void fullyPopulatedEventSurvivesARoundTrip(SpecificRecord event) {
        assertThat(fieldsLeftAtDefault(event))
                .as("a fully populated fixture sets every field to a non-default value")
                .isEmpty();

        SpecificRecord decoded = roundTrip(event);

        assertThat(decoded).isNotSameAs(event).isEqualTo(event);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.rollguard.schemas.serde.EventFixtures#minimallyPopulated")
    void minimallyPopulatedEventSurvivesARoundTrip(SpecificRecord event) {
        assertThat(fieldsLeftAtDefault(event))
                .as("a minimal fixture sets only the fields that have no default")
                .containsExactlyInAnyOrderElementsOf(fieldsWithADefault(event.getSchema()));

        SpecificRecord decoded = roundTrip(event);

        assertThat(decoded).isNotSameAs(event).isEqualTo(event);
    }

    @Test
    void fixturesCoverEveryEventType() {
        assertThat(EventFixtures.fullyPopulated()
                        .<Class<?>>map(n -> n.getPayload().getClass()))
                .containsExactlyElementsOf(EventFixtures.EVENT_CLASSES);
        assertThat(EventFixtures.minimallyPopulated()
                        .<Class<?>>map(n -> n.getPayload().getClass()))
                .containsExactlyElementsOf(EventFixtures.EVENT_CLASSES);
    }

    @Test
    void timestampsTravelAtMillisecondPrecision() {
        Instant withMicros = Instant.parse("2025-03-14T09:26:53.589793Z");
        SyncEvent event =
                SyncEvent.newBuilder(fullSync()).setEventTime(withMicros).build();

        SyncEvent decoded = roundTrip(event);

        assertThat(decoded.getEventTime()).isEqualTo(Instant.parse("2025-03-14T09:26:53.589Z"));
    }

    @Test
    void encodingStartsWithTheSingleObjectMarkerAndTheSchemaFingerprint() {
        AvroCodec<SyncEvent> codec = AvroCodec.of(SyncEvent.class);

        byte[] bytes = codec.encode(fullSync());

        assertThat(Arrays.copyOfRange(bytes, 0, 2)).containsExactly(0xC3, 0x01);
        long littleEndianFingerprint = 0;
        for (int i = 9; i >= 2; i--) {
            littleEndianFingerprint = (littleEndianFingerprint << 8) | (bytes[i] & 0xFF);
        }
        assertThat(littleEndianFingerprint).isEqualTo(codec.fingerprint());
    }

    @Test
    void kafkaSerdeRoundTripsAnEvent() {
        AvroSerde<SyncEvent> serde = AvroSerde.of(SyncEvent.class);

        byte[] bytes = serde.serializer().serialize(TOPIC, fullSync());
        SyncEvent decoded = serde.deserializer().deserialize(TOPIC, bytes);

        assertThat(decoded).isEqualTo(fullSync());
    }

    @Test
    void kafkaSerdeKeepsTombstonesNull() {
        AvroSerde<SyncEvent> serde = AvroSerde.of(SyncEvent.class);

        assertThat(serde.serializer().serialize(TOPIC, null)).isNull();
        assertThat(serde.deserializer().deserialize(TOPIC, null)).isNull();
    }

    @Test
    void serializerReportsAnIncompleteRecordAsASerializationExceptionNamingTheTopic() {
        SyncEvent withoutRequiredFields = new SyncEvent();

        assertThatThrownBy(() -> AvroSerde.of(SyncEvent.class).serializer().serialize(TOPIC, withoutRequiredFields))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining(TOPIC);
    }

    @Test
    void serializerAndDeserializerConfiguredByClassNameRoundTripAnEvent() {
        Map<String, Object> configs = Map.of(AvroSerde.TYPE_CONFIG, FlagChangedEvent.class.getName());
        var serializer = new AvroSerde.AvroSerializer<FlagChangedEvent>();
        var deserializer = new AvroSerde.AvroDeserializer<FlagChangedEvent>();
        serializer.configure(configs, false);
        deserializer.configure(configs, false);

        byte[] bytes = serializer.serialize(Topics.FLAGS_CHANGES, fullFlagChanged());

        assertThat(deserializer.deserialize(Topics.FLAGS_CHANGES, bytes)).isEqualTo(fullFlagChanged());
        assertThat(serializer.serialize(Topics.FLAGS_CHANGES, null)).isNull();
        assertThat(deserializer.deserialize(Topics.FLAGS_CHANGES, null)).isNull();
    }

    @Test
    void decodedDeserializerKeepsTheOriginalBytesWhichTheDecodedSerializerWritesBack() {
        var deserializer = new AvroSerde.DecodedDeserializer<FlagChangedEvent>();
        deserializer.configure(Map.of(AvroSerde.TYPE_CONFIG, FlagChangedEvent.class.getName()), false);
        byte[] bytes = AvroCodec.of(FlagChangedEvent.class).encode(fullFlagChanged());

        Decoded<FlagChangedEvent> decoded = deserializer.deserialize(Topics.FLAGS_CHANGES, bytes);

        assertThat(decoded.event()).isEqualTo(fullFlagChanged());
        assertThat(decoded.bytes()).isSameAs(bytes);
        assertThat(new AvroSerde.DecodedSerializer().serialize("flags.changes.dlq", decoded))
                .isSameAs(bytes);
        assertThat(deserializer.deserialize(Topics.FLAGS_CHANGES, null)).isNull();
        assertThat(new AvroSerde.DecodedSerializer().serialize("flags.changes.dlq", null))
                .isNull();
        assertThatThrownBy(() -> deserializer.deserialize(Topics.FLAGS_CHANGES, utf8("{}")))
                .isInstanceOfSatisfying(
                        AvroDecodingException.class, e -> assertThat(e.reason()).isEqualTo(Reason.NOT_SINGLE_OBJECT));
    }

    @Test
    void configurableSerdeRequiresTheTypeProperty() {
        assertThatThrownBy(() -> new AvroSerde.AvroSerializer<>().configure(Map.of(), false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(AvroSerde.TYPE_CONFIG);
        assertThatThrownBy(() -> new AvroSerde.AvroDeserializer<>().configure(Map.of(), false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(AvroSerde.TYPE_CONFIG);
    }

    @Test
    void configurableSerdeRejectsAClassThatIsNotAnAvroEvent() {
        Map<String, Object> notAvro = Map.of(AvroSerde.TYPE_CONFIG, String.class.getName());
        Map<String, Object> missing = Map.of(AvroSerde.TYPE_CONFIG, "dev.rollguard.schemas.event.NoSuchEvent");

        assertThatThrownBy(() -> new AvroSerde.AvroSerializer<>().configure(notAvro, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(AvroSerde.TYPE_CONFIG)
                .hasMessageContaining("java.lang.String")
                .hasMessageContaining("not an Avro event class");
        assertThatThrownBy(() -> new AvroSerde.AvroDeserializer<>().configure(missing, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("NoSuchEvent")
                .hasMessageContaining("not an Avro event class");
    }

    @Test
    void emptyPayloadIsReportedAsEmpty() {
        assertDecodingFails(new byte[0], Reason.EMPTY);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("notSingleObjectPayloads")
    void bytesWithoutTheSingleObjectMarkerAreReportedAsNotSingleObject(byte[] payload) {
        assertDecodingFails(payload, Reason.NOT_SINGLE_OBJECT);
    }

    static Stream<Named<byte[]>> notSingleObjectPayloads() {
        byte[] random = new byte[64];
        new Random(20250314L).nextBytes(random);
        assertThat(random[0])
                .as("the seed must not produce the marker by chance")
                .isNotEqualTo((byte) 0xC3);
        return Stream.of(
                Named.of("random bytes", random),
                Named.of("JSON text", utf8("{\"eventId\":\"sync-1\",\"clientId\":\"client-42\",\"success\":true}")),
                Named.of("plain text", utf8("not avro at all")));
    }

    @Test
    void unknownWriterFingerprintIsReportedAsUnknownFingerprint() {
        byte[] bytes = AvroCodec.of(SyncEvent.class).encode(fullSync());
        for (int i = 2; i <= 9; i++) {
            bytes[i] = (byte) ~bytes[i];
        }

        assertDecodingFails(bytes, Reason.UNKNOWN_FINGERPRINT);
    }

    @Test
    void truncatedBodyIsReportedAsMalformed() {
        byte[] bytes = AvroCodec.of(SyncEvent.class).encode(fullSync());
        byte[] firstHalf = Arrays.copyOf(bytes, bytes.length / 2);
        assertThat(firstHalf.length).as("the cut must fall inside the body").isGreaterThan(10);

        assertDecodingFails(firstHalf, Reason.MALFORMED);
    }

    @Test
    void headerWithoutABodyIsReportedAsMalformed() {
        byte[] bytes = AvroCodec.of(SyncEvent.class).encode(fullSync());

        assertDecodingFails(Arrays.copyOf(bytes, 10), Reason.MALFORMED);
    }

    @Test
    void anotherEventTypeIsReportedAsUnknownFingerprint() {
        byte[] upload = AvroCodec.of(UploadEvent.class).encode(fullUpload());

        assertDecodingFails(upload, Reason.UNKNOWN_FINGERPRINT);
    }

    @Test
    void decodingFailuresReachKafkaClientsUnchanged() {
        assertThatThrownBy(() -> AvroSerde.of(SyncEvent.class).deserializer().deserialize(TOPIC, utf8("{}")))
                .isInstanceOfSatisfying(
                        AvroDecodingException.class, e -> assertThat(e.reason()).isEqualTo(Reason.NOT_SINGLE_OBJECT));
    }

    /**
     * Kafka Streams and SmallRye run consumers on threads whose context class loader may not see the generated
     * classes; decoding must then still produce the generated classes, nested records included.
     */
    @Test
    void decodesOnAThreadWhoseContextClassLoaderCannotSeeTheEventClasses() throws Exception {
        byte[] sync = AvroCodec.of(SyncEvent.class).encode(fullSync());
        byte[] flag = AvroCodec.of(FlagChangedEvent.class).encode(fullFlagChanged());

        try (URLClassLoader throwaway = new URLClassLoader(new URL[0], null)) {
            assertThatThrownBy(() -> Class.forName(SyncEvent.class.getName(), false, throwaway))
                    .isInstanceOf(ClassNotFoundException.class);

            SyncEvent decodedSync = onThreadWithContextClassLoader(throwaway, () -> {
                assertThat(Thread.currentThread().getContextClassLoader()).isSameAs(throwaway);
                var deserializer = new AvroSerde.AvroDeserializer<SyncEvent>();
                deserializer.configure(Map.of(AvroSerde.TYPE_CONFIG, SyncEvent.class.getName()), false);
                return deserializer.deserialize(TOPIC, sync);
            });
            FlagChangedEvent decodedFlag = onThreadWithContextClassLoader(
                    throwaway, () -> AvroCodec.of(FlagChangedEvent.class).decode(flag));

            assertThat(decodedSync).isEqualTo(fullSync());
            assertThat(decodedSync.getExposures()).isNotEmpty().allSatisfy(e -> assertThat(e)
                    .isInstanceOf(FlagExposure.class));
            assertThat(decodedFlag).isEqualTo(fullFlagChanged());
            assertThat(decodedFlag.getGuardPolicy()).isInstanceOf(GuardPolicy.class);
            assertThat(decodedFlag.getVariants()).allSatisfy(v -> assertThat(v).isInstanceOf(FlagVariant.class));
            assertThat(decodedFlag.getStages()).allSatisfy(s -> assertThat(s).isInstanceOf(RolloutStage.class));
        }
    }

    /**
     * A stream thread may also be the first to build a codec. Event codecs are shared JVM-wide and the other tests
     * build them on the main thread, so this uses a record whose codec no other test builds.
     */
    @Test
    void codecFirstBuiltOnSuchAThreadStillDecodesToTheGeneratedClasses() throws Exception {
        FlagExposure exposure = EventFixtures.exposure("offline-recording", "on");

        try (URLClassLoader throwaway = new URLClassLoader(new URL[0], null)) {
            Object decoded = onThreadWithContextClassLoader(throwaway, () -> {
                AvroCodec<FlagExposure> codec = AvroCodec.of(FlagExposure.class);
                Object result = codec.decode(codec.encode(exposure));
                return result;
            });

            assertThat(decoded).isInstanceOf(FlagExposure.class).isEqualTo(exposure);
        }
    }

    private static <V> V onThreadWithContextClassLoader(ClassLoader loader, Callable<V> task) throws Exception {
        ExecutorService executor = Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, "foreign-context-class-loader");
            thread.setContextClassLoader(loader);
            return thread;
        });
        try {
            return executor.submit(task).get(30, TimeUnit.SECONDS);
        } finally {
            executor.shutdownNow();
        }
    }

    private static void assertDecodingFails(byte[] payload, Reason reason) {
        assertThatThrownBy(() -> AvroCodec.of(SyncEvent.class).decode(payload))
                .isInstanceOfSatisfying(AvroDecodingException.class, e -> assertThat(e.reason())
                        .as("reason of: %s", e.getMessage())
                        .isEqualTo(reason))
                .hasMessageContaining("SyncEvent");
    }

    @SuppressWarnings("unchecked")
    private static <T extends SpecificRecord> T roundTrip(T event) {
        AvroCodec<T> codec = AvroCodec.of((Class<T>) event.getClass());
        return codec.decode(codec.encode(event));
    }

    /** Names of the fields that are null or equal to their schema default. */
    private static List<String> fieldsLeftAtDefault(SpecificRecord event) {
        return event.getSchema().getFields().stream()
                .filter(field -> {
                    Object value = event.get(field.pos());
                    return value == null
                            || (field.hasDefaultValue()
                                    && Objects.equals(value, SpecificData.get().getDefaultValue(field)));
                })
                .map(Schema.Field::name)
                .toList();
    }

    private static List<String> fieldsWithADefault(Schema schema) {
        return schema.getFields().stream()
                .filter(Schema.Field::hasDefaultValue)
                .map(Schema.Field::name)
                .toList();
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
