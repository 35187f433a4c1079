package dev.rollguard.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rollguard.infra.Ports;
import dev.rollguard.infra.SharedInfra;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The console's packaged application (target/quarkus-app, or the {@code console.jar} property) as a process on a free
 * port, as the browser tests drive it: started against the given services and the shared broker, ready once its
 * readiness check answers, stopped on close. Its log is target/stack-logs/NAME.log.
 */
final class PackagedConsole implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final Process process;
    private final String url;

    private PackagedConsole(Process process, String url) {
        this.process = process;
        this.url = url;
    }

    /** Starts the console with each service's URL: flag-service, metrics-ingest, alert-service, rollback-service. */
    static PackagedConsole start(
            String logName, String flagService, String metricsIngest, String alertService, String rollbackService)
            throws IOException {
        Path jar = Path.of(System.getProperty("console.jar", "target/quarkus-app/quarkus-run.jar"));
        int port = Ports.free();
        String url = "http://127.0.0.1:" + port;
        Path log = Path.of("target", "stack-logs", logName + ".log").toAbsolutePath();
        Files.createDirectories(log.getParent());
        ProcessBuilder builder = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Xmx256m",
                        "-XX:+UseSerialGC",
                        "-XX:TieredStopAtLevel=1",
                        "-Dquarkus.http.port=" + port,
                        "-Dconsole.services.flag-service=" + flagService,
                        "-Dconsole.services.metrics-ingest=" + metricsIngest,
                        "-Dconsole.services.alert-service=" + alertService,
                        "-Dconsole.services.rollback-service=" + rollbackService,
                        "-jar",
                        jar.toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().put("KAFKA_BOOTSTRAP_SERVERS", SharedInfra.kafkaBootstrap());
        Process process = builder.start();
        await().atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(300))
                .ignoreExceptions()
                .until(() -> {
                    assertThat(process.isAlive())
                            .as("console running, see %s", log)
                            .isTrue();
                    return HTTP.send(
                                            HttpRequest.newBuilder(URI.create(url + "/q/health/ready"))
                                                    .build(),
                                            HttpResponse.BodyHandlers.discarding())
                                    .statusCode()
                            == 200;
                });
        return new PackagedConsole(process, url);
    }

    /** The console's base URL, {@code http://127.0.0.1:PORT}. */
    String url() {
        return url;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
