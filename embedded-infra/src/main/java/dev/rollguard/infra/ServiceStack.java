package dev.rollguard.infra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The four packaged services (or those a test names) running as separate processes, as {@code bin/rollguard up} runs
 * them, on the test JVM's real Kafka broker and PostgreSQL server ({@link SharedInfra}). Each gets a free HTTP port;
 * logs go to {@code <caller module>/target/stack-logs}. Used by the end-to-end, browser and client tests.
 */
public final class ServiceStack implements AutoCloseable {

    public static final String ADMIN_TOKEN = "e2e-admin-" + UUID.randomUUID();
    public static final String SERVICE_TOKEN = "e2e-service-" + UUID.randomUUID();
    public static final String CLIENT_TOKEN = "e2e-client-" + UUID.randomUUID();
    public static final String PRODUCER_TOKEN = "e2e-producer-" + UUID.randomUUID();

    private static final Map<String, String> DATABASES = Map.of(
            "flag-service", "rollguard_flags",
            "alert-service", "rollguard_alerts",
            "rollback-service", "rollguard_rollbacks");

    private final Path root;
    private final Path logs;
    private final Map<String, Integer> ports = new LinkedHashMap<>();
    private final Map<String, Process> processes = new LinkedHashMap<>();

    private ServiceStack(Path root) {
        this.root = root;
        this.logs = Path.of("target", "stack-logs").toAbsolutePath();
    }

    /**
     * Starts the services with the given extra system properties per service (timings shortened for the test) and
     * waits until every one is ready.
     */
    public static ServiceStack start(Map<String, List<String>> properties) {
        return start(List.of("flag-service", "metrics-ingest", "alert-service", "rollback-service"), properties);
    }

    /**
     * Starts only these services (e.g. flag-service and metrics-ingest for a client's test: the guard and the
     * rollbacks are not needed to evaluate flags and count telemetry), as {@link #start(Map)} does.
     */
    public static ServiceStack start(List<String> services, Map<String, List<String>> properties) {
        Path root = Path.of(System.getProperty("rollguard.root", ".."))
                .toAbsolutePath()
                .normalize();
        ServiceStack stack = new ServiceStack(root);
        for (String service : services) {
            stack.ports.put(service, Ports.free());
        }
        try {
            Files.createDirectories(stack.logs);
            for (String service : stack.ports.keySet()) {
                stack.launch(service, properties.getOrDefault(service, List.of()));
            }
            for (String service : stack.ports.keySet()) {
                stack.awaitReady(service, Duration.ofSeconds(120));
            }
        } catch (RuntimeException | IOException e) {
            stack.close();
            throw e instanceof RuntimeException r ? r : new UncheckedIOException((IOException) e);
        }
        return stack;
    }

    /** Base URL of a service, e.g. {@code http://127.0.0.1:41234}. */
    public String url(String service) {
        return "http://127.0.0.1:" + ports.get(service);
    }

    public Path log(String service) {
        return logs.resolve(service + ".log");
    }

    private void launch(String service, List<String> extraProperties) throws IOException {
        Path jar = root.resolve(service).resolve("target/quarkus-app/quarkus-run.jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " is missing: package the services first (./mvnw verify does)");
        }
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-Dquarkus.http.port=" + ports.get(service)));
        if (service.equals("rollback-service")) {
            command.add("-Drollback-service.flag-service.url=" + url("flag-service"));
            // The promoter reads the guard's verdicts there; without it, it would look at the default port.
            command.add("-Drollback-service.promotion.alert-service.url=" + url("alert-service"));
        }
        extraProperties.forEach(p -> command.add("-D" + p));
        command.addAll(List.of("-jar", jar.toString()));
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(logs.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        logs.resolve(service + ".log").toFile()));
        Map<String, String> env = builder.environment();
        env.put("KAFKA_BOOTSTRAP_SERVERS", SharedInfra.kafkaBootstrap());
        env.put("ROLLGUARD_ADMIN_TOKEN", ADMIN_TOKEN);
        env.put("ROLLGUARD_SERVICE_TOKEN", SERVICE_TOKEN);
        env.put("ROLLGUARD_CLIENT_TOKEN", CLIENT_TOKEN);
        env.put("ROLLGUARD_PRODUCER_TOKEN", PRODUCER_TOKEN);
        String database = DATABASES.get(service);
        if (database != null) {
            String jdbc = SharedInfra.jdbcUrl(database);
            env.put("QUARKUS_DATASOURCE_JDBC_URL", jdbc);
            env.put("QUARKUS_DATASOURCE_REACTIVE_URL", jdbc.substring("jdbc:".length()));
            env.put("QUARKUS_DATASOURCE_USERNAME", SharedInfra.dbUser());
            env.put(
                    "QUARKUS_DATASOURCE_PASSWORD",
                    SharedInfra.dbPassword().isEmpty() ? "postgres" : SharedInfra.dbPassword());
        }
        processes.put(service, builder.start());
    }

    private void awaitReady(String service, Duration timeout) {
        HttpClient http = HttpClient.newHttpClient();
        URI ready = URI.create(url(service) + "/q/health/ready");
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            Process process = processes.get(service);
            if (!process.isAlive()) {
                throw new IllegalStateException(
                        service + " exited with " + process.exitValue() + "; see " + log(service));
            }
            try {
                HttpResponse<String> response = http.send(
                        HttpRequest.newBuilder(ready)
                                .timeout(Duration.ofSeconds(2))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    return;
                }
                last = response.body();
            } catch (IOException notYet) {
                last = notYet.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            // Readiness is polled, like Kubernetes does; there is no event to wait for.
            java.util.concurrent.locks.LockSupport.parkNanos(
                    Duration.ofMillis(300).toNanos());
        }
        throw new IllegalStateException(
                service + " not ready after " + timeout + ": " + last + "; see " + log(service));
    }

    /** Stops one service as an operator would (SIGTERM, graceful), e.g. to prove the others cope. */
    public void stop(String service) {
        Process process = processes.get(service);
        process.destroy();
        try {
            if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Starts a stopped service again with the same settings. */
    public void restart(String service, List<String> extraProperties) throws IOException {
        stop(service);
        launch(service, extraProperties);
        awaitReady(service, Duration.ofSeconds(120));
    }

    @Override
    public void close() {
        processes.values().forEach(Process::destroy);
        for (Process process : processes.values()) {
            try {
                if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
