package dev.rollguard.console;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The services' REST APIs as canned HTTP answers, for tests of how the console shows them: one local server on a free
 * port, an answer per path (without the query), 404 JSON for any other. An answer may also drop the connection
 * without a word, as a crashed service does.
 */
public final class ServiceStub implements AutoCloseable {

    /**
     * A canned answer; {@code status} 0 closes the connection without answering; {@code contentType} null sends none.
     */
    public record Answer(int status, String body, String contentType) {

        /** A JSON answer, as the services give. */
        public Answer(int status, String body) {
            this(status, body, "application/json");
        }
    }

    /**
     * A request the console made: its method, path with the query, Authorization header, body, If-Match,
     * Idempotency-Key and X-Rollguard-Actor.
     */
    public record Seen(
            String method,
            String pathAndQuery,
            String authorization,
            String body,
            String ifMatch,
            String idempotencyKey,
            String actor) {}

    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final Map<String, Answer> answers = new ConcurrentHashMap<>();
    private final Map<String, Function<Seen, Answer>> handlers = new ConcurrentHashMap<>();
    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final Map<String, Duration> delays = new ConcurrentHashMap<>();
    private final Map<String, CountDownLatch> stalls = new ConcurrentHashMap<>();
    private final List<Abandoned> abandoned = new CopyOnWriteArrayList<>();

    /**
     * A stalled answer whose connection the client closed: the path, and how long the connection stayed open after the
     * response headers went out.
     */
    public record Abandoned(String path, Duration heldOpen) {}

    private ServiceStub(HttpServer server) {
        this.server = server;
    }

    public static ServiceStub start() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            ServiceStub stub = new ServiceStub(server);
            server.createContext("/", stub::handle);
            // A thread per request, as a real service answers requests side by side: one slow answer holds up no other.
            server.setExecutor(stub.threads);
            server.start();
            return stub;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public void answer(String path, int status, String json) {
        answers.put(path, new Answer(status, json));
    }

    /** An answer of another Content-Type than JSON (text, a proxy's HTML page), or of none when it is null. */
    public void answer(String path, int status, String contentType, String body) {
        answers.put(path, new Answer(status, body, contentType));
    }

    /**
     * Answers requests to {@code path} from what they carry (method, query, body): for a test in which the service
     * keeps state between requests, such as a flag whose rules a browser edits. Takes precedence over {@link #answer}.
     */
    public void handle(String path, Function<Seen, Answer> handler) {
        handlers.put(path, handler);
    }

    /** Answers requests to {@code path} only after {@code delay}, as an overloaded service does. */
    public void delay(String path, Duration delay) {
        delays.put(path, delay);
    }

    /**
     * Sends the response headers of requests to {@code path} and then none of the body until {@link #reset}, as a
     * service that hangs halfway through an answer does. Meanwhile it writes a space of the body every 100 ms, which
     * adds nothing to what the client reads but fails once the client has closed the connection: such answers are
     * listed by {@link #abandoned}.
     */
    public void stallBody(String path) {
        stalls.put(path, new CountDownLatch(1));
    }

    public void dropConnections(String path) {
        answers.put(path, new Answer(0, ""));
    }

    /** Forgets the answers and the requests seen, for a test that sets up its own. */
    public void reset() {
        answers.clear();
        handlers.clear();
        delays.clear();
        stalls.values().forEach(CountDownLatch::countDown);
        stalls.clear();
        seen.clear();
        abandoned.clear();
    }

    public List<Seen> seen() {
        return List.copyOf(seen);
    }

    /** The stalled answers whose connection the client closed, since the last {@link #reset}. */
    public List<Abandoned> abandoned() {
        return List.copyOf(abandoned);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String query = exchange.getRequestURI().getRawQuery();
            Seen request = new Seen(
                    exchange.getRequestMethod(),
                    query == null ? path : path + "?" + query,
                    exchange.getRequestHeaders().getFirst("Authorization"),
                    new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8),
                    exchange.getRequestHeaders().getFirst("If-Match"),
                    exchange.getRequestHeaders().getFirst("Idempotency-Key"),
                    exchange.getRequestHeaders().getFirst("X-Rollguard-Actor"));
            seen.add(request);
            Duration delay = delays.get(path);
            if (delay != null) {
                try {
                    Thread.sleep(delay.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            CountDownLatch stall = stalls.get(path);
            if (stall != null) {
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, 0);
                exchange.getResponseBody().write('[');
                exchange.getResponseBody().flush();
                Instant headersSent = Instant.now();
                try {
                    while (!stall.await(100, TimeUnit.MILLISECONDS)) {
                        exchange.getResponseBody().write(' ');
                        exchange.getResponseBody().flush();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (IOException closed) {
                    abandoned.add(new Abandoned(path, Duration.between(headersSent, Instant.now())));
                }
                return;
            }
            Function<Seen, Answer> handler = handlers.get(path);
            Answer answer = handler != null
                    ? handler.apply(request)
                    : answers.getOrDefault(
                            path,
                            new Answer(404, "{\"code\": \"NOT_FOUND\", \"message\": \"nothing at " + path + "\"}"));
            if (answer.status() == 0) {
                return;
            }
            byte[] body = answer.body().getBytes(StandardCharsets.UTF_8);
            if (answer.contentType() != null) {
                exchange.getResponseHeaders().set("Content-Type", answer.contentType());
            }
            exchange.sendResponseHeaders(answer.status(), body.length == 0 ? -1 : body.length);
            if (body.length > 0) {
                exchange.getResponseBody().write(body);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
