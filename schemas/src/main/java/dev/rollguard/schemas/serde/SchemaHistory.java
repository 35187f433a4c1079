package dev.rollguard.schemas.serde;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.avro.Schema;

/**
 * Every released version of every event schema, read from {@code avro-history/} on the class path.
 *
 * <p>A schema change adds a new {@code vN.avsc} beside the old ones and a line in {@code INDEX}; old versions
 * are never edited, so records written by any released producer still decode.
 */
public final class SchemaHistory {

    static final String ROOT = "avro-history/";
    private static final Map<String, List<Schema>> VERSIONS = load();

    private SchemaHistory() {}

    /** The released versions of the record with this full name, oldest first (empty if never released). */
    public static List<Schema> versions(String fullName) {
        return VERSIONS.getOrDefault(fullName, List.of());
    }

    /** Full names of every record with a history. */
    public static List<String> recordNames() {
        return List.copyOf(VERSIONS.keySet());
    }

    private static Map<String, List<Schema>> load() {
        Map<String, List<Schema>> result = new TreeMap<>();
        ClassLoader loader = SchemaHistory.class.getClassLoader();
        try (InputStream index = loader.getResourceAsStream(ROOT + "INDEX")) {
            if (index == null) {
                throw new IllegalStateException(ROOT + "INDEX is missing from the class path");
            }
            var reader = new BufferedReader(new InputStreamReader(index, StandardCharsets.UTF_8));
            for (String line; (line = reader.readLine()) != null; ) {
                line = line.strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                Schema schema = parse(loader, ROOT + line);
                result.computeIfAbsent(schema.getFullName(), k -> new ArrayList<>())
                        .add(schema);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        result.replaceAll((name, list) -> List.copyOf(list));
        return result;
    }

    private static Schema parse(ClassLoader loader, String path) throws IOException {
        try (InputStream in = loader.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException(path + " is listed in INDEX but missing");
            }
            return new Schema.Parser().parse(in);
        }
    }
}
