package dev.rollguard.bench.ingest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A benchmark's scratch directory (its broker's log, its state stores), deleted when the JVM exits. A run leaves a
 * gigabyte or two there, and the benchmark ends with {@code System.exit}, which skips the {@code finally} blocks: a
 * sweep of a dozen rows would otherwise leave tens of gigabytes behind.
 */
final class Scratch {

    private Scratch() {}

    /** A new directory under the system's temporary directory, deleted with its contents when the JVM exits. */
    static Path directory(String prefix) throws IOException {
        Path dir = Files.createTempDirectory(prefix);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(dir), prefix + "-cleanup"));
        return dir;
    }

    /**
     * Deletes a tree, deepest first; what cannot be deleted (a file a broker thread still writes as the JVM exits) is
     * left, and so is its directory.
     */
    static void delete(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException e) {
                    // Left behind; the rest is still deleted.
                }
            });
        } catch (IOException | UncheckedIOException e) {
            System.err.println("cannot delete " + dir + ": " + e.getMessage());
        }
    }
}
