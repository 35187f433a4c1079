package dev.rollguard.bench.rollback;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An instantaneous flag-service for the benchmark: every flag exists with a KILL policy, a kill is committed and
 * visible on OFREP at once, and an {@code Idempotency-Key} answers its first response. It isolates the
 * rollback-service's own share of the latency; the real flag-service's share is measured by the whole-stack
 * benchmark.
 */
final class StubFlagService implements AutoCloseable {

    static final String SERVICE_TOKEN = "bench-service-token";
    static final String CLIENT_TOKEN = "bench-client-token";

    private final ObjectMapper json = new ObjectMapper();
    private final Map<String, Instant> killedAt = new ConcurrentHashMap<>();
    private final Map<String, byte[]> answered = new ConcurrentHashMap<>();
    private final AtomicLong kills = new AtomicLong();
    private final HttpServer server;

    StubFlagService() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 100);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.createContext("/", this::handle);
        server.start();
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Effective kills (replays of an idempotency key not counted). */
    long kills() {
        return kills.get();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            exchange.getRequestBody().readAllBytes();
            String path = exchange.getRequestURI().getPath();
            String auth = exchange.getRequestHeaders().getFirst("Authorization");
            if (path.startsWith("/ofrep/v1/evaluate/flags/")) {
                if (!("Bearer " + CLIENT_TOKEN).equals(auth)) {
                    send(exchange, 401, "{\"code\":\"UNAUTHENTICATED\",\"message\":\"client token\"}");
                    return;
                }
                String key = path.substring("/ofrep/v1/evaluate/flags/".length());
                boolean off = killedAt.containsKey(key);
                ObjectNode answer = json.createObjectNode().put("key", key);
                answer.put("value", !off).put("variant", off ? "off" : "on");
                answer.put("reason", off ? "DISABLED" : "TARGETING_MATCH");
                send(exchange, 200, answer.toString());
                return;
            }
            if (!("Bearer " + SERVICE_TOKEN).equals(auth) || !path.startsWith("/api/flags/")) {
                send(exchange, 401, "{\"code\":\"UNAUTHENTICATED\",\"message\":\"service token\"}");
                return;
            }
            String rest = path.substring("/api/flags/".length());
            if ("GET".equals(exchange.getRequestMethod())) {
                send(exchange, 200, flag(rest));
                return;
            }
            String key = rest.substring(0, rest.indexOf('/'));
            String idempotencyKey = exchange.getRequestHeaders().getFirst("Idempotency-Key");
            byte[] first = answered.computeIfAbsent(idempotencyKey, k -> {
                if (killedAt.putIfAbsent(key, Instant.now()) == null) {
                    kills.incrementAndGet();
                }
                return flag(key).getBytes(StandardCharsets.UTF_8);
            });
            send(exchange, 200, new String(first, StandardCharsets.UTF_8));
        }
    }

    private String flag(String key) {
        Instant killed = killedAt.get(key);
        ObjectNode node = json.createObjectNode()
                .put("key", key)
                .put("type", "BOOLEAN")
                .put("enabled", true)
                .put("killed", killed != null)
                .put("paused", false)
                .put("currentStage", 1)
                .put("version", killed == null ? 1 : 2)
                .put("updatedAt", (killed == null ? Instant.EPOCH : killed).toString());
        node.putObject("guardPolicy").put("action", "KILL").put("dryRun", false).put("cooldownSeconds", 0);
        return node.toString();
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
