package dev.rollguard.cli;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A stand-in for the Rollguard services on a local port (the JDK's HTTP server): answers canned JSON per method and
 * path, 404 {@code NOT_FOUND} otherwise, and records what it was sent. Runs the CLI against it.
 */
final class ServiceStub implements AutoCloseable {

    record Request(String method, String path, String query, String body, String actor, String authorization) {}

    /** What one command line did: its exit code and what it printed on stdout and stderr. */
    record Result(int exitCode, String out, String err) {}

    final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Map<String, String[]> answers = new ConcurrentHashMap<>();
    private final HttpServer server;

    ServiceStub() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String path = exchange.getRequestURI().getPath();
            requests.add(new Request(
                    exchange.getRequestMethod(),
                    path,
                    exchange.getRequestURI().getRawQuery(),
                    body,
                    exchange.getRequestHeaders().getFirst("X-Rollguard-Actor"),
                    exchange.getRequestHeaders().getFirst("Authorization")));
            String[] answer = answers.getOrDefault(
                    exchange.getRequestMethod() + " " + path,
                    new String[] {"404", "{\"code\":\"NOT_FOUND\",\"message\":\"no such resource\"}"});
            byte[] bytes = answer[1].getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(Integer.parseInt(answer[0]), bytes.length == 0 ? -1 : bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.start();
    }

    /** Answers {@code request} ("GET /api/flags") with {@code status} and {@code body} from now on. */
    void answer(String request, int status, String body) {
        answers.put(request, new String[] {Integer.toString(status), body});
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Every service on this stub. */
    RollguardApi api() {
        return new RollguardApi(new RollguardApi.Endpoints(url(), url(), url(), url(), "admin-token", null, null));
    }

    /** A command line against this stub, not on a terminal, with a fixed clock and no second refresh. */
    Result run(String... args) {
        return run(api(), screen(Clock.fixed(Instant.parse("2026-01-01T10:12:05Z"), ZoneOffset.UTC), false), args);
    }

    static Result run(RollguardApi api, RollguardCli.Screen screen, String... args) {
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        int code = RollguardCli.run(
                api,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                screen,
                args);
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static RollguardCli.Screen screen(Clock clock, boolean terminal) {
        return new RollguardCli.Screen(terminal, clock, pause -> false);
    }

    @Override
    public void close() {
        server.stop(0);
    }

    /** A clock that tests move forward. */
    static final class SteppedClock extends Clock {
        private volatile Instant now;

        SteppedClock(Instant start) {
            now = start;
        }

        void advance(long seconds) {
            now = now.plusSeconds(seconds);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }
}
