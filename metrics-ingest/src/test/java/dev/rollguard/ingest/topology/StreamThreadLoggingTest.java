package dev.rollguard.ingest.topology;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Dependent;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The classes the topology runs on Kafka Streams' threads are plain classes, not CDI beans, and run in hosts other than
 * Quarkus (the benchmarks run the topology in a plain JVM). {@code io.quarkus.logging.Log} only works where Quarkus
 * rewrote its calls at build time (and, by its own check, wherever JUnit is on the class path, so no test of the
 * topology here could see it fail): a plain class of the topology, service, mapping or domain package that logs
 * through it stops the stream thread the first time it logs in such a host. Such classes log through JBoss Logging
 * directly.
 */
class StreamThreadLoggingTest {

    /** The constant-pool entry naming the class: its length (two bytes) and its internal name. */
    private static final byte[] QUARKUS_LOG = constantPoolEntry("io/quarkus/logging/Log");

    @Test
    void plainClassesOfTheTopologyAndServicePackagesDoNotLogThroughQuarkusLog() throws Exception {
        Path classes = Path.of(TelemetryTopology.class
                        .getProtectionDomain()
                        .getCodeSource()
                        .getLocation()
                        .toURI())
                .resolve("dev/rollguard/ingest");
        List<String> plain = new ArrayList<>();
        List<String> offending = new ArrayList<>();
        for (String pkg : List.of("topology", "service", "mapping", "domain")) {
            try (Stream<Path> files = Files.list(classes.resolve(pkg))) {
                for (Path file :
                        files.filter(f -> f.toString().endsWith(".class")).toList()) {
                    String name = file.getFileName().toString();
                    String topLevel = "dev.rollguard.ingest." + pkg + "."
                            + name.substring(0, name.length() - ".class".length())
                                    .split("\\$")[0];
                    if (isBean(Class.forName(topLevel, false, getClass().getClassLoader()))) {
                        continue;
                    }
                    plain.add(name);
                    if (contains(Files.readAllBytes(file), QUARKUS_LOG)) {
                        offending.add(name);
                    }
                }
            }
        }
        // The scan saw the classes that run on the stream threads.
        assertThat(plain).contains("ClientStageStore.class", "CohortAssigner.class", "DeadLetterHandler.class");
        assertThat(offending).isEmpty();
    }

    @Test
    void theScanFindsQuarkusLogInAClassThatUsesIt() throws IOException {
        try (var in = UsesQuarkusLog.class.getResourceAsStream("StreamThreadLoggingTest$UsesQuarkusLog.class")) {
            assertThat(contains(in.readAllBytes(), QUARKUS_LOG)).isTrue();
        }
        try (var in = ClientStageStore.class.getResourceAsStream("ClientStageStore.class")) {
            assertThat(contains(in.readAllBytes(), QUARKUS_LOG)).isFalse();
        }
    }

    /** What the scan must find: a class that logs through Quarkus' {@code Log}. */
    static final class UsesQuarkusLog {
        static void log() {
            io.quarkus.logging.Log.debug("logged through Quarkus' Log");
        }
    }

    private static boolean isBean(Class<?> type) {
        return type.isAnnotationPresent(ApplicationScoped.class)
                || type.isAnnotationPresent(Singleton.class)
                || type.isAnnotationPresent(Dependent.class)
                || type.isAnnotationPresent(RequestScoped.class);
    }

    private static byte[] constantPoolEntry(String internalName) {
        byte[] name = internalName.getBytes(StandardCharsets.UTF_8);
        byte[] entry = new byte[name.length + 2];
        entry[0] = (byte) (name.length >> 8);
        entry[1] = (byte) name.length;
        System.arraycopy(name, 0, entry, 2, name.length);
        return entry;
    }

    private static boolean contains(byte[] bytes, byte[] pattern) {
        outer:
        for (int i = 0; i + pattern.length <= bytes.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (bytes[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
