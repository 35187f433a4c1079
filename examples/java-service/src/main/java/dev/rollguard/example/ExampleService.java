package dev.rollguard.example;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.openfeature.contrib.providers.ofrep.OfrepProvider;
import dev.openfeature.contrib.providers.ofrep.OfrepProviderOptions;
import dev.openfeature.sdk.Client;
import dev.openfeature.sdk.FlagEvaluationDetails;
import dev.openfeature.sdk.ImmutableContext;
import dev.openfeature.sdk.OpenFeatureAPI;
import dev.rollguard.client.ExposureHook;
import dev.rollguard.client.Exposures;
import dev.rollguard.client.HttpTelemetryTransport;
import dev.rollguard.client.TelemetryClient;
import dev.rollguard.schemas.event.Platform;
import dev.rollguard.schemas.event.SyncEvent;
import dev.rollguard.schemas.event.SyncKind;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A notes backend's sync endpoint, {@code POST /sync?user=alice}, that takes a new code path for the users a
 * Rollguard flag serves {@code on}. It evaluates the flag with the OpenFeature Java SDK and its OFREP provider against
 * the flag-service (every request asks: a kill is seen by the next one), and reports each sync to metrics-ingest
 * through the Rollguard Java client, which attaches the variant this user was served. Plain JVM: the JDK's HTTP
 * server, no framework.
 *
 * <p>Run as {@code java -cp ... dev.rollguard.example.ExampleService} (see the README) with {@code
 * ROLLGUARD_FLAG_SERVICE_URL}, {@code ROLLGUARD_CLIENT_TOKEN}, {@code ROLLGUARD_METRICS_INGEST_URL}, {@code
 * ROLLGUARD_PRODUCER_TOKEN}, {@code EXAMPLE_FLAG} and {@code EXAMPLE_PORT} in the environment.
 */
public final class ExampleService implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param flagServiceUrl the flag-service, e.g. {@code http://127.0.0.1:8081} (the OFREP provider wants an IP or a
     *     dotted host name, not {@code localhost})
     * @param clientToken a client token of the flag-service
     * @param ingestUrl metrics-ingest, e.g. {@code http://127.0.0.1:8082}
     * @param producerToken a producer token of metrics-ingest
     * @param flagKey the boolean flag that guards the new sync
     * @param port the HTTP port (0: any free one)
     */
    public record Settings(
            String flagServiceUrl,
            String clientToken,
            String ingestUrl,
            String producerToken,
            String flagKey,
            int port) {

        static Settings fromEnvironment(Map<String, String> env) {
            return new Settings(
                    env.getOrDefault("ROLLGUARD_FLAG_SERVICE_URL", "http://127.0.0.1:8081"),
                    required(env, "ROLLGUARD_CLIENT_TOKEN"),
                    env.getOrDefault("ROLLGUARD_METRICS_INGEST_URL", "http://127.0.0.1:8082"),
                    required(env, "ROLLGUARD_PRODUCER_TOKEN"),
                    env.getOrDefault("EXAMPLE_FLAG", "backend.new-sync"),
                    Integer.parseInt(env.getOrDefault("EXAMPLE_PORT", "8090")));
        }

        private static String required(Map<String, String> env, String name) {
            String value = env.get(name);
            if (value == null || value.isBlank()) {
                throw new IllegalArgumentException(name + " must be set");
            }
            return value;
        }
    }

    private final Settings settings;
    private final Client flags;
    private final TelemetryClient telemetry;
    private final HttpServer server;
    private final ExecutorService workers = Executors.newFixedThreadPool(8);

    private ExampleService(Settings settings) throws IOException {
        this.settings = settings;

        // Rollguard, all of it: a hook records the variant each user is served, the telemetry client sends it along.
        Exposures exposures = new Exposures();
        OpenFeatureAPI.getInstance().addHooks(new ExposureHook(exposures));
        OpenFeatureAPI.getInstance()
                .setProviderAndWait(OfrepProvider.constructProvider(OfrepProviderOptions.builder()
                        .baseUrl(settings.flagServiceUrl())
                        .headers(ImmutableMap.of("Authorization", ImmutableList.of("Bearer " + settings.clientToken())))
                        .build()));
        this.telemetry = TelemetryClient.builder(
                        new HttpTelemetryTransport(
                                URI.create(settings.ingestUrl()), settings.producerToken(), Duration.ofSeconds(10)),
                        "java-service-example")
                .exposures(exposures)
                .platform(Platform.BACKEND)
                .build();

        this.flags = OpenFeatureAPI.getInstance().getClient();
        this.server = HttpServer.create(new InetSocketAddress(settings.port()), 0);
        server.createContext("/sync", this::sync);
        server.setExecutor(workers);
        server.start();
    }

    /** Starts the service; it listens until {@link #close()}. */
    public static ExampleService start(Settings settings) throws IOException {
        return new ExampleService(settings);
    }

    public static void main(String[] args) throws IOException {
        ExampleService service = start(Settings.fromEnvironment(System.getenv()));
        Runtime.getRuntime().addShutdownHook(new Thread(service::close));
        System.out.println("POST http://127.0.0.1:" + service.port() + "/sync?user=alice (flag "
                + service.settings.flagKey() + ")");
    }

    /** The port the service listens on. */
    public int port() {
        return server.getAddress().getPort();
    }

    private void sync(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!"POST".equals(exchange.getRequestMethod())) {
                answer(exchange, 405, Map.of("code", "METHOD_NOT_ALLOWED", "message", "POST /sync?user=<user>"));
                return;
            }
            String user = query(exchange.getRequestURI().getRawQuery()).get("user");
            if (user == null || user.isBlank()) {
                answer(exchange, 400, Map.of("code", "USER_MISSING", "message", "POST /sync?user=<user>"));
                return;
            }
            long started = System.nanoTime();
            // The targeting key is the user id the telemetry reports: each event is counted in this user's cohort.
            FlagEvaluationDetails<Boolean> newSync =
                    flags.getBooleanDetails(settings.flagKey(), false, new ImmutableContext(user));
            // A stand-in for the service's own work: the new code path syncs incrementally, the old one fully.
            boolean incremental = newSync.getValue();
            long records = incremental ? 12 : 480;
            telemetry.send(SyncEvent.newBuilder()
                    .setUserId(user)
                    .setTable("notes")
                    .setSyncKind(incremental ? SyncKind.INCREMENTAL : SyncKind.FULL)
                    .setSuccess(true)
                    .setRecordsSynced(records)
                    .setDurationMs(Math.max(
                            1, Duration.ofNanos(System.nanoTime() - started).toMillis())));

            Map<String, Object> body = new LinkedHashMap<>();
            body.put("user", user);
            body.put("flag", settings.flagKey());
            body.put("value", newSync.getValue());
            body.put("variant", newSync.getVariant());
            body.put("reason", newSync.getReason());
            body.put("recordsSynced", records);
            answer(exchange, 200, body);
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> parameters = new LinkedHashMap<>();
        if (raw != null) {
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    parameters.put(
                            URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
        }
        return parameters;
    }

    private static void answer(HttpExchange exchange, int status, Map<String, ?> body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Stops taking requests, then delivers the telemetry still queued. */
    @Override
    public void close() {
        server.stop(1);
        workers.shutdown();
        telemetry.close();
        OpenFeatureAPI.getInstance().shutdown();
    }
}
