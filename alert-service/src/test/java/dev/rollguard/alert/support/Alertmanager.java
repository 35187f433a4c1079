package dev.rollguard.alert.support;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.infra.Ports;
import dev.rollguard.infra.SharedInfra;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A real Prometheus Alertmanager (Debian's {@code prometheus-alertmanager}) started once per test JVM, like the shared
 * broker and database: on a free loopback port, clustering off, its storage in a fresh directory, stopped when the
 * JVM exits. Tests give it their routing with {@link #configure} (written to its config file, then {@code POST
 * /-/reload}), post alerts to it, create silences and read its alerts over its API v2.
 *
 * <p>The binary is {@code $ROLLGUARD_ALERTMANAGER}, else {@code prometheus-alertmanager} or {@code alertmanager} on
 * the PATH. {@code bin/rollguard test} installs the Debian package when it is missing; a run as root on Debian with
 * neither installs it here ({@code apt-get install prometheus-alertmanager}), so a plain {@code ./mvnw verify} works
 * on a fresh machine too.
 */
public final class Alertmanager {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final String IDLE_CONFIG =
            """
            route:
              receiver: nobody
            receivers:
              - name: nobody
            """;
    private static Alertmanager shared;

    private final Process process;
    private final Path config;
    private final String url;

    private Alertmanager(Process process, Path config, String url) {
        this.process = process;
        this.config = config;
        this.url = url;
    }

    /** The shared Alertmanager, started on first use. */
    public static synchronized Alertmanager shared() {
        if (shared == null) {
            shared = start();
            Alertmanager started = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(started.process::destroy));
        }
        return shared;
    }

    private static Alertmanager start() {
        String binary = binary();
        Path dir = SharedInfra.freshDirectory("alertmanager");
        Path config = dir.resolve("alertmanager.yml");
        int port = Ports.free();
        try {
            Files.writeString(config, IDLE_CONFIG);
            Files.createDirectories(dir.resolve("data"));
            Process process = new ProcessBuilder(
                            binary,
                            "--config.file=" + config,
                            "--storage.path=" + dir.resolve("data"),
                            "--web.listen-address=127.0.0.1:" + port,
                            "--cluster.listen-address=",
                            "--log.level=warn")
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("alertmanager.log").toFile())
                    .start();
            Alertmanager alertmanager = new Alertmanager(process, config, "http://127.0.0.1:" + port);
            alertmanager.awaitReady(dir.resolve("alertmanager.log"));
            return alertmanager;
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + binary, e);
        }
    }

    private static String binary() {
        String configured = System.getenv("ROLLGUARD_ALERTMANAGER");
        if (configured != null && !configured.isBlank()) {
            return configured;
        }
        for (int attempt = 0; attempt < 2; attempt++) {
            for (String name : List.of("prometheus-alertmanager", "alertmanager")) {
                for (String dir :
                        System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
                    Path candidate = Path.of(dir, name);
                    if (Files.isExecutable(candidate)) {
                        return candidate.toString();
                    }
                }
            }
            if (attempt == 0) {
                install();
            }
        }
        throw new IllegalStateException("the Alertmanager tests need Prometheus Alertmanager: install Debian's"
                + " prometheus-alertmanager (bin/rollguard test does), or set ROLLGUARD_ALERTMANAGER to its binary");
    }

    /** apt-get install, when this runs as root on a machine that has apt-get; otherwise nothing. */
    private static void install() {
        if (!"root".equals(System.getProperty("user.name")) || !Files.isExecutable(Path.of("/usr/bin/apt-get"))) {
            return;
        }
        for (List<String> command : List.of(
                List.of("apt-get", "install", "-y", "-qq", "prometheus-alertmanager"),
                List.of("apt-get", "update", "-qq"),
                List.of("apt-get", "install", "-y", "-qq", "prometheus-alertmanager"))) {
            try {
                ProcessBuilder builder = new ProcessBuilder(command).inheritIO();
                builder.environment().put("DEBIAN_FRONTEND", "noninteractive");
                if (builder.start().waitFor() == 0 && command.contains("install")) {
                    return;
                }
            } catch (IOException e) {
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void awaitReady(Path log) throws IOException {
        try {
            await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> {
                        if (!process.isAlive()) {
                            throw new IllegalStateException("Alertmanager exited: " + Files.readString(log));
                        }
                        try {
                            return get("/-/ready").statusCode() == 200;
                        } catch (ConnectException e) {
                            return false; // not listening yet
                        }
                    });
        } catch (ConditionTimeoutException e) {
            process.destroy();
            throw new IllegalStateException("Alertmanager not ready within 30 s: " + Files.readString(log), e);
        }
    }

    /** Its base URL, e.g. {@code http://127.0.0.1:41234}. */
    public String url() {
        return url;
    }

    /** Replaces its configuration (YAML) and reloads it; fails when Alertmanager refuses the file. */
    public void configure(String yaml) {
        try {
            Files.writeString(config, yaml);
            HttpResponse<String> reload = HTTP.send(
                    HttpRequest.newBuilder(URI.create(url + "/-/reload"))
                            .POST(HttpRequest.BodyPublishers.noBody())
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (reload.statusCode() != 200) {
                throw new IllegalStateException("Alertmanager refused the configuration: " + reload.body());
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot configure Alertmanager", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Posts alerts as Prometheus does ({@code POST /api/v2/alerts}, a JSON array of postable alerts). */
    public void post(List<Map<String, Object>> alerts) {
        HttpResponse<String> response = send("POST", "/api/v2/alerts", alerts);
        if (response.statusCode() != 200) {
            throw new IllegalStateException("Alertmanager refused the alerts: " + response.body());
        }
    }

    /** The alerts it holds ({@code GET /api/v2/alerts}, silenced and inhibited ones included). */
    public List<JsonNode> alerts() {
        HttpResponse<String> response = send("GET", "/api/v2/alerts", null);
        List<JsonNode> alerts = new ArrayList<>();
        try {
            JSON.readTree(response.body()).forEach(alerts::add);
        } catch (IOException e) {
            throw new IllegalStateException("not JSON: " + response.body(), e);
        }
        return alerts;
    }

    /** Creates a silence of an hour matching {@code name="value"} and answers its id. */
    public String silence(String name, String value, String comment) {
        Instant now = Instant.now();
        Map<String, Object> silence = Map.of(
                "matchers", List.of(Map.of("name", name, "value", value, "isRegex", false, "isEqual", true)),
                "startsAt", now.toString(),
                "endsAt", now.plus(Duration.ofHours(1)).toString(),
                "createdBy", "rollguard-tests",
                "comment", comment);
        HttpResponse<String> response = send("POST", "/api/v2/silences", silence);
        try {
            return JSON.readTree(response.body()).get("silenceID").asText();
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("Alertmanager refused the silence: " + response.body(), e);
        }
    }

    private HttpResponse<String> get(String path) throws IOException {
        try {
            return HTTP.send(
                    HttpRequest.newBuilder(URI.create(url + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private HttpResponse<String> send(String method, String path, Object body) {
        try {
            HttpRequest.BodyPublisher publisher = body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body));
            return HTTP.send(
                    HttpRequest.newBuilder(URI.create(url + path))
                            .header("Content-Type", "application/json")
                            .method(method, publisher)
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(method + " " + path + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
