package dev.rollguard.schemas.serde;

import static org.apache.avro.SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE;
import static org.apache.avro.SchemaCompatibility.SchemaCompatibilityType.INCOMPATIBLE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollguard.schemas.event.SyncEvent;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.Incompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityResult;
import org.apache.avro.SchemaCompatibility.SchemaIncompatibilityType;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.GenericRecordBuilder;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.SchemaStore;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Producers and consumers are deployed independently, so every schema change must keep records readable both
 * ways: new code reads what old producers wrote (backward) and old code reads what new producers write (forward).
 */
class SchemaCompatibilityTest {

    private static final Pattern INDEX_LINE = Pattern.compile("([\\w.]+)/v(\\d+)\\.avsc");

    static Stream<Named<Class<? extends SpecificRecord>>> eventClasses() {
        return EventFixtures.EVENT_CLASSES.stream().map(type -> Named.of(type.getSimpleName(), type));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("eventClasses")
    void latestReleasedVersionIsTheCurrentSchema(Class<? extends SpecificRecord> type) {
        Schema current = currentSchema(type);
        List<Schema> released = SchemaHistory.versions(current.getFullName());
        String howToRelease = String.format(
                "%1$s changed since its last released version. If the change is intended, release it: add%n"
                        + "  src/main/resources/avro-history/%2$s/v%3$d.avsc containing the current schema below, and%n"
                        + "  the line '%2$s/v%3$d.avsc' at the end of src/main/resources/avro-history/INDEX.%n"
                        + "Current schema:%n%4$s",
                type.getSimpleName(), current.getFullName(), released.size() + 1, current.toString(true));

        assertThat(released).withFailMessage(howToRelease).isNotEmpty();
        assertThat(released.get(released.size() - 1))
                .withFailMessage(howToRelease)
                .isEqualTo(current);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("eventClasses")
    void currentSchemaIsBackwardAndForwardCompatibleWithEveryReleasedVersion(Class<? extends SpecificRecord> type) {
        Schema current = currentSchema(type);
        List<Schema> released = SchemaHistory.versions(current.getFullName());
        assertThat(released).isNotEmpty();

        for (int v = 0; v < released.size(); v++) {
            Schema old = released.get(v);
            assertThat(problems(current, old))
                    .as("%s: current schema reading records written with v%d (backward)", type.getSimpleName(), v + 1)
                    .isEmpty();
            assertThat(problems(old, current))
                    .as(
                            "%s: v%d reading records written with the current schema (forward)",
                            type.getSimpleName(), v + 1)
                    .isEmpty();
        }
    }

    @Test
    void everyEventTypeHasAHistoryAndEveryHistoryIsAnEventType() {
        List<String> eventNames = EventFixtures.EVENT_CLASSES.stream()
                .map(type -> currentSchema(type).getFullName())
                .toList();

        assertThat(SchemaHistory.recordNames()).containsExactlyInAnyOrderElementsOf(eventNames);
    }

    @Test
    void everyGeneratedEventClassIsCheckedHere() throws Exception {
        Path generated = Path.of(SyncEvent.class
                        .getProtectionDomain()
                        .getCodeSource()
                        .getLocation()
                        .toURI())
                .resolve(SyncEvent.class.getPackageName().replace('.', '/'));
        assertThat(generated).isDirectory();
        List<String> eventClassNames;
        try (Stream<Path> files = Files.list(generated)) {
            eventClassNames = files.map(f -> f.getFileName().toString())
                    .filter(name -> name.endsWith("Event.class"))
                    .map(name -> name.substring(0, name.length() - ".class".length()))
                    .toList();
        }

        assertThat(eventClassNames)
                .as("generated *Event classes; add new ones to EventFixtures.EVENT_CLASSES")
                .containsExactlyInAnyOrderElementsOf(EventFixtures.EVENT_CLASSES.stream()
                        .map(Class::getSimpleName)
                        .toList());
    }

    @Test
    void indexListsEachRecordsVersionsInOrderUnderItsOwnName() throws IOException {
        Map<String, Integer> lastVersion = new HashMap<>();
        for (String line : indexLines()) {
            Matcher m = INDEX_LINE.matcher(line);
            assertThat(m.matches())
                    .as("INDEX line '%s' has the form <full record name>/v<N>.avsc", line)
                    .isTrue();
            String directory = m.group(1);
            int version = Integer.parseInt(m.group(2));

            assertThat(parseResource(SchemaHistory.ROOT + line).getFullName())
                    .as("record named in %s", line)
                    .isEqualTo(directory);
            assertThat(version)
                    .as("%s follows v%d", line, lastVersion.getOrDefault(directory, 0))
                    .isEqualTo(lastVersion.getOrDefault(directory, 0) + 1);
            lastVersion.put(directory, version);
        }
        assertThat(lastVersion.keySet()).containsExactlyInAnyOrderElementsOf(SchemaHistory.recordNames());
    }

    /** The checks above are only worth something if the checker sees a breaking change. */
    @Test
    void checkerRejectsANewRequiredFieldWithoutADefault() {
        Schema current = SyncEvent.getClassSchema();
        Schema withRequiredField = editFields(current, fields -> {
            fields.add(new Schema.Field("addedWithoutDefault", Schema.create(Schema.Type.STRING), "no default"));
            return fields;
        });

        SchemaCompatibilityResult newReadsOld = check(withRequiredField, current);

        assertThat(newReadsOld.getCompatibility()).isEqualTo(INCOMPATIBLE);
        assertThat(newReadsOld.getIncompatibilities())
                .extracting(Incompatibility::getType)
                .containsExactly(SchemaIncompatibilityType.READER_FIELD_MISSING_DEFAULT_VALUE);
        assertThat(problems(withRequiredField, current))
                .singleElement()
                .asString()
                .contains("addedWithoutDefault");
    }

    @Test
    void checkerRejectsAChangedFieldType() {
        Schema current = SyncEvent.getClassSchema();
        Schema durationAsString = editFields(current, fields -> {
            fields.replaceAll(f -> f.name().equals("durationMs")
                    ? new Schema.Field(f.name(), Schema.create(Schema.Type.STRING), f.doc())
                    : f);
            return fields;
        });

        assertThat(check(durationAsString, current).getCompatibility()).isEqualTo(INCOMPATIBLE);
        assertThat(check(current, durationAsString).getCompatibility()).isEqualTo(INCOMPATIBLE);
        assertThat(check(current, durationAsString).getIncompatibilities())
                .extracting(Incompatibility::getType)
                .containsExactly(SchemaIncompatibilityType.TYPE_MISMATCH);
    }

    @Test
    void checkerRejectsRemovingARequiredFieldBecauseOldReadersNeedIt() {
        Schema current = SyncEvent.getClassSchema();
        Schema withoutClientId = withoutFields(current, "clientId");

        assertThat(check(withoutClientId, current).getCompatibility()).isEqualTo(COMPATIBLE);
        assertThat(check(current, withoutClientId).getCompatibility()).isEqualTo(INCOMPATIBLE);
    }

    @Test
    void recordWrittenWithAnOlderSchemaDecodesWithTheDefaultsOfTheNewFields() {
        Schema older = withoutFields(SyncEvent.getClassSchema(), "recordsSynced", "syncQueueLength");
        assertThat(problems(SyncEvent.getClassSchema(), older)).isEmpty();
        Instant eventTime = Instant.parse("2025-03-14T09:26:53.589Z");
        GenericRecord written = new GenericRecordBuilder(older)
                .set("eventId", "sync-1")
                .set("eventTime", eventTime.toEpochMilli())
                .set("clientId", "client-42")
                .set("success", true)
                .set("durationMs", 120L)
                .build();
        ByteBuffer bytes = encode(older, written);
        SchemaStore.Cache writers = new SchemaStore.Cache();
        writers.addSchema(older);

        SyncEvent read = decodeAsSyncEvent(writers, bytes);

        assertThat(read.getEventId()).isEqualTo("sync-1");
        assertThat(read.getEventTime()).isEqualTo(eventTime);
        assertThat(read.getClientId()).isEqualTo("client-42");
        assertThat(read.getDurationMs()).isEqualTo(120L);
        assertThat(read.getRecordsSynced()).isZero();
        assertThat(read.getSyncQueueLength()).isNull();
    }

    @Test
    void recordWrittenWithTheCurrentSchemaDecodesWithAnOlderReader() {
        Schema older = withoutFields(SyncEvent.getClassSchema(), "recordsSynced", "syncQueueLength");
        byte[] bytes = AvroCodec.of(SyncEvent.class).encode(EventFixtures.fullSync());
        SchemaStore.Cache writers = new SchemaStore.Cache();
        writers.addSchema(SyncEvent.getClassSchema());
        BinaryMessageDecoder<GenericRecord> oldReader = new BinaryMessageDecoder<>(GenericData.get(), older, writers);

        GenericRecord read = decode(oldReader, bytes);

        assertThat(read.getSchema().getField("recordsSynced")).isNull();
        assertThat(read.get("eventId")).hasToString(EventFixtures.fullSync().getEventId());
        assertThat(read.get("durationMs")).isEqualTo(EventFixtures.fullSync().getDurationMs());
        assertThat(read.get("failedMutations"))
                .isEqualTo(EventFixtures.fullSync().getFailedMutations());
    }

    /** The codec resolves only released writer schemas: an unreleased one is what the history files prevent. */
    @Test
    void codecRejectsAWriterSchemaThatWasNeverReleased() {
        Schema unreleased = withoutFields(SyncEvent.getClassSchema(), "recordsSynced");
        GenericRecord written = new GenericRecordBuilder(unreleased)
                .set("eventId", "sync-1")
                .set("eventTime", 0L)
                .set("clientId", "client-42")
                .set("success", true)
                .set("durationMs", 1L)
                .build();
        ByteBuffer buffer = encode(unreleased, written);
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);

        assertThatThrownBy(() -> AvroCodec.of(SyncEvent.class).decode(bytes))
                .isInstanceOfSatisfying(AvroDecodingException.class, e -> assertThat(e.reason())
                        .isEqualTo(AvroDecodingException.Reason.UNKNOWN_FINGERPRINT));
    }

    private static SyncEvent decodeAsSyncEvent(SchemaStore writers, ByteBuffer bytes) {
        try {
            return SyncEvent.createDecoder(writers).decode(bytes);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static GenericRecord decode(BinaryMessageDecoder<GenericRecord> decoder, byte[] bytes) {
        try {
            return decoder.decode(bytes);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static ByteBuffer encode(Schema writer, GenericRecord record) {
        try {
            return new BinaryMessageEncoder<GenericRecord>(GenericData.get(), writer).encode(record);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static Schema currentSchema(Class<? extends SpecificRecord> type) {
        return SpecificData.get().getSchema(type);
    }

    private static SchemaCompatibilityResult check(Schema reader, Schema writer) {
        return SchemaCompatibility.checkReaderWriterCompatibility(reader, writer)
                .getResult();
    }

    /** Human-readable incompatibilities of reading {@code writer} records with {@code reader}; empty if none. */
    private static List<String> problems(Schema reader, Schema writer) {
        return check(reader, writer).getIncompatibilities().stream()
                .map(i -> i.getType() + " at " + i.getLocation() + ": " + i.getMessage())
                .toList();
    }

    private static Schema withoutFields(Schema record, String... names) {
        Set<String> removed = Set.of(names);
        Schema edited = editFields(record, fields -> {
            fields.removeIf(f -> removed.contains(f.name()));
            return fields;
        });
        assertThat(edited.getFields()).hasSize(record.getFields().size() - names.length);
        return edited;
    }

    /** A copy of a record schema with its fields edited; Avro fields belong to one schema, hence the copies. */
    private static Schema editFields(Schema record, UnaryOperator<List<Schema.Field>> edit) {
        List<Schema.Field> fields = new ArrayList<>();
        record.getFields().forEach(f -> fields.add(new Schema.Field(f, f.schema())));
        return Schema.createRecord(
                record.getName(), record.getDoc(), record.getNamespace(), record.isError(), edit.apply(fields));
    }

    private static List<String> indexLines() throws IOException {
        try (InputStream in = resource(SchemaHistory.ROOT + "INDEX")) {
            return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))
                    .lines()
                    .map(String::strip)
                    .filter(line -> !line.isEmpty() && !line.startsWith("#"))
                    .toList();
        }
    }

    private static Schema parseResource(String path) throws IOException {
        try (InputStream in = resource(path)) {
            return new Schema.Parser().parse(in);
        }
    }

    private static InputStream resource(String path) {
        InputStream in = SchemaCompatibilityTest.class.getClassLoader().getResourceAsStream(path);
        assertThat(in).as("class path resource %s", path).isNotNull();
        return in;
    }
}
