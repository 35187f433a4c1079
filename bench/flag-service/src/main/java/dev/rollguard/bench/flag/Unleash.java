package dev.rollguard.bench.flag;

import dev.rollguard.infra.EmbeddedPostgresServer;
import dev.rollguard.infra.Ports;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient.Version;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * unleash-server from the npm registry, a measuring tool for the comparison only: installed into a cache directory
 * under target/, started with node on its own database of the benchmark's PostgreSQL, given tokens at start.
 */
final class Unleash implements AutoCloseable {

    static final String ADMIN_SECRET = "*:*.bench-unleash-admin-token";
    static final String FRONTEND_SECRET = "default:development.bench-unleash-frontend-token";
    private static final String ENVIRONMENT = "development";

    private static final java.net.http.HttpClient HTTP =
            java.net.http.HttpClient.newBuilder().version(Version.HTTP_1_1).build();

    final Process process;
    final int port;
    final String version;
    final String node;

    private Unleash(Process process, int port, String version, String node) {
        this.process = process;
        this.port = port;
        this.version = version;
        this.node = node;
    }

    static Unleash start(Path dir, String version, EmbeddedPostgresServer postgres, Path log) throws Exception {
        Path server = dir.resolve("node_modules/unleash-server/dist/server.js");
        Path manifest = dir.resolve("node_modules/unleash-server/package.json");
        if (!Files.exists(server)
                || !new JsonObject(Files.readString(manifest))
                        .getString("version")
                        .equals(version)) {
            Files.createDirectories(dir);
            if (!Files.exists(dir.resolve("package.json"))) {
                Files.writeString(dir.resolve("package.json"), "{\"name\":\"bench-unleash\",\"private\":true}\n");
            }
            run(dir, log, 900, "npm", "install", "--no-audit", "--no-fund", "unleash-server@" + version);
        }
        String node = new String(new ProcessBuilder("node", "--version")
                        .redirectErrorStream(true)
                        .start()
                        .getInputStream()
                        .readAllBytes())
                .strip();
        postgres.createDatabase("unleash");
        int port = Ports.free();
        ProcessBuilder builder = new ProcessBuilder("node", server.toString())
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        var env = builder.environment();
        env.put("TZ", "UTC");
        env.put("NODE_ENV", "production");
        env.put("HTTP_PORT", Integer.toString(port));
        env.put("HTTP_HOST", "127.0.0.1");
        env.put("DATABASE_HOST", "127.0.0.1");
        env.put("DATABASE_PORT", Integer.toString(postgres.port()));
        env.put("DATABASE_NAME", "unleash");
        env.put("DATABASE_USERNAME", EmbeddedPostgresServer.USER);
        env.put("DATABASE_PASSWORD", "unused");
        env.put("DATABASE_SSL", "false");
        env.put("INIT_ADMIN_API_TOKENS", ADMIN_SECRET);
        env.put("INIT_FRONTEND_API_TOKENS", FRONTEND_SECRET);
        env.put("LOG_LEVEL", "warn");
        env.put("CHECK_VERSION", "false");
        env.put("SEND_TELEMETRY", "false");
        Unleash unleash = new Unleash(builder.start(), port, version, node);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
        while (System.nanoTime() < deadline) {
            if (!unleash.process.isAlive()) {
                throw new IllegalStateException("unleash-server exited with " + unleash.process.exitValue());
            }
            try {
                if (unleash.call("GET", "/health", null).statusCode() == 200) {
                    return unleash;
                }
            } catch (IOException notYet) {
                // still migrating its database
            }
            TimeUnit.MILLISECONDS.sleep(500);
        }
        unleash.close();
        throw new IllegalStateException("unleash-server did not answer /health within 240 s");
    }

    private static void run(Path dir, Path log, int timeoutSeconds, String... command) throws Exception {
        Process process = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " took more than " + timeoutSeconds + " s");
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " exited with " + process.exitValue());
        }
    }

    /** The flag as a toggle with one gradual rollout (flexibleRollout) of the same percentage, switched on. */
    void createToggle(BenchFlag flag) throws Exception {
        String features = "/api/admin/projects/default/features";
        expect(call("POST", features, new JsonObject().put("name", flag.key()).put("type", "release")));
        expect(call(
                "POST",
                features + "/" + flag.key() + "/environments/" + ENVIRONMENT + "/strategies",
                new JsonObject()
                        .put("name", "flexibleRollout")
                        .put(
                                "parameters",
                                new JsonObject()
                                        .put("rollout", Integer.toString(flag.percentage()))
                                        .put("stickiness", "default")
                                        .put("groupId", flag.key()))
                        .put("constraints", new JsonArray())));
        expect(call("POST", features + "/" + flag.key() + "/environments/" + ENVIRONMENT + "/on", null));
    }

    /**
     * Waits until the frontend API serves the toggles (it evaluates from an in-memory copy it refreshes): at least
     * those at 100 %, and the same count for the first context three times a second apart; returns that count.
     */
    int awaitFrontend(Vertx vertx, HttpClient http) throws Exception {
        long hundredPercent = BenchFlag.hundred().stream()
                .filter(flag -> flag.percentage() == 100 && !flag.json().containsKey("rules"))
                .count();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        int seen = -1;
        int same = 0;
        while (System.nanoTime() < deadline) {
            JsonObject answer = http.request(new RequestOptions()
                            .setMethod(HttpMethod.POST)
                            .setURI("/api/frontend")
                            .putHeader("Authorization", FRONTEND_SECRET)
                            .putHeader("Content-Type", "application/json"))
                    .compose(request -> request.send(Buffer.buffer(Contexts.UNLEASH.get(0))))
                    .compose(response -> response.body())
                    .map(Buffer::toJsonObject)
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
            JsonArray toggles = answer.getJsonArray("toggles");
            int count = toggles == null ? -1 : toggles.size();
            same = count == seen ? same + 1 : 0;
            seen = count;
            if (seen >= hundredPercent && same >= 2) {
                return seen;
            }
            TimeUnit.SECONDS.sleep(1);
        }
        throw new IllegalStateException(
                "the frontend API serves " + seen + " toggles, not the " + hundredPercent + " at 100 % or more");
    }

    private HttpResponse<String> call(String method, String path, JsonObject body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Authorization", ADMIN_SECRET)
                .timeout(java.time.Duration.ofSeconds(30));
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(body.encode()));
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void expect(HttpResponse<String> response) {
        if (response.statusCode() / 100 != 2) {
            throw new IllegalStateException(response.request().method() + " "
                    + response.request().uri() + " answered " + response.statusCode() + ": " + response.body());
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
