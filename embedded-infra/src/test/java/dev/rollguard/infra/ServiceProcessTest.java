package dev.rollguard.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher on a real process: a jar laid out like a packaged service ({@code <module>/target/quarkus-app/
 * quarkus-run.jar}) whose main class is {@link FakeService}.
 */
class ServiceProcessTest {

    @TempDir
    static Path root;

    private ServiceProcess process;

    @BeforeAll
    static void packageTheFakeService() throws IOException {
        Path jar = ServiceProcess.jar(root, "fake-service");
        Files.createDirectories(jar.getParent());
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, FakeService.class.getName());
        String entry = FakeService.class.getName().replace('.', '/') + ".class";
        try (OutputStream out = Files.newOutputStream(jar);
                JarOutputStream jarOut = new JarOutputStream(out, manifest);
                InputStream classFile = FakeService.class.getClassLoader().getResourceAsStream(entry)) {
            jarOut.putNextEntry(new JarEntry(entry));
            classFile.transferTo(jarOut);
            jarOut.closeEntry();
        }
    }

    @AfterEach
    void stop() {
        if (process != null) {
            process.stop(Duration.ofSeconds(1));
        }
    }

    private ServiceProcess.Builder fake(String... properties) {
        return ServiceProcess.packaged(root, "fake-service")
                .port(Ports.free())
                .properties(List.of(properties))
                .log(root.resolve("logs/fake-service.log"));
    }

    @Test
    void startsWithItsConfigurationAndWaitsUntilReady() throws IOException {
        long start = System.nanoTime();
        process = fake("fake.ready-after-ms=1500", "fake.property=from-a-property")
                .env("ROLLGUARD_ADMIN_TOKEN", "from-the-environment")
                .start()
                .awaitReady(Duration.ofSeconds(60));

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(1500));
        assertThat(process.isAlive()).isTrue();
        assertThat(Files.readString(process.log()))
                .contains("fake starting: token=from-the-environment property=from-a-property");
    }

    @Test
    void aServiceThatIsNotReadyInTimeFailsWithTheTailOfItsLog() {
        process = fake("fake.ready-after-ms=600000").start();

        assertThatThrownBy(() -> process.awaitReady(Duration.ofSeconds(2)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("fake-service not ready after 2 s")
                .hasMessageContaining("readiness: 503 {\"status\":\"DOWN\"}")
                .hasMessageContaining("--- last lines of " + process.log())
                .hasMessageContaining("fake listening");
    }

    @Test
    void aServiceThatExitsDuringStartFailsAtOnceWithItsExitCodeAndLog() {
        process = fake("fake.exit=3").start();
        long start = System.nanoTime();

        assertThatThrownBy(() -> process.awaitReady(Duration.ofSeconds(60)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("fake-service exited during start with code 3")
                .hasMessageContaining("fake failing on purpose");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
    }

    @Test
    void stopIsGracefulFirst() throws IOException {
        process = fake().start().awaitReady(Duration.ofSeconds(60));

        assertThat(process.stop(Duration.ofSeconds(30))).isTrue();

        assertThat(process.isAlive()).isFalse();
        assertThat(Files.readString(process.log())).contains("fake stopped gracefully");
        assertThat(process.stop()).as("stopping a stopped process").isFalse();
    }

    @Test
    void stopForcesAProcessThatDoesNotEndAfterTheGracePeriod() throws IOException {
        process = fake("fake.hang-on-term=true").start().awaitReady(Duration.ofSeconds(60));
        long start = System.nanoTime();

        assertThat(process.stop(Duration.ofSeconds(1))).isTrue();

        assertThat(process.isAlive()).isFalse();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
        assertThat(Files.readString(process.log())).doesNotContain("fake stopped gracefully");
    }

    @Test
    void killEndsAProcessAtOnceWithoutItsShutdown() throws IOException {
        process = fake("fake.hang-on-term=true").start().awaitReady(Duration.ofSeconds(60));
        long start = System.nanoTime();

        assertThat(process.kill()).isTrue();

        assertThat(process.isAlive()).isFalse();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        assertThat(Files.readString(process.log())).doesNotContain("fake stopped gracefully");
        assertThat(process.kill()).as("killing a killed process").isFalse();
    }

    @Test
    void aMissingJarSaysHowToBuildIt() {
        assertThatThrownBy(() -> ServiceProcess.packaged(root, "no-such-service")
                        .log(root.resolve("logs/none.log"))
                        .start())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no-such-service/target/quarkus-app/quarkus-run.jar is missing")
                .hasMessageContaining("./mvnw");
    }

    @Test
    void theReadinessTimeoutIsGenerousByDefaultAndConfigurable() {
        String before = System.getProperty(ServiceProcess.READY_TIMEOUT_PROPERTY);
        try {
            System.setProperty(ServiceProcess.READY_TIMEOUT_PROPERTY, "7");
            assertThat(ServiceProcess.readyTimeout()).isEqualTo(Duration.ofSeconds(7));
            System.setProperty(ServiceProcess.READY_TIMEOUT_PROPERTY, "soon");
            assertThatThrownBy(ServiceProcess::readyTimeout)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'soon' is not a number of seconds");
            System.clearProperty(ServiceProcess.READY_TIMEOUT_PROPERTY);
            if (System.getenv(ServiceProcess.READY_TIMEOUT_ENV) == null) {
                assertThat(ServiceProcess.readyTimeout()).isEqualTo(Duration.ofSeconds(300));
            }
        } finally {
            if (before == null) {
                System.clearProperty(ServiceProcess.READY_TIMEOUT_PROPERTY);
            } else {
                System.setProperty(ServiceProcess.READY_TIMEOUT_PROPERTY, before);
            }
        }
    }
}
