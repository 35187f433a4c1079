package dev.rollguard.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.rollguard.schemas.event.SyncEvent;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The HTTP transport against a local HTTP server that answers as metrics-ingest does (or as something else at a
 * wrong URL does): the token it sends, and how a batch refused for good shows.
 */
class HttpTelemetryTransportTest {

    static final Duration FLUSH = Duration.ofSeconds(20);

    HttpServer server;
    final List<String> authorizations = new CopyOnWriteArrayList<>();
    final List<JsonNode> bodies = new CopyOnWriteArrayList<>();
    /** Statuses of the next answers, before {@link #status} takes over. */
    final Queue<Integer> script = new ConcurrentLinkedQueue<>();

    volatile int status = 200;
    volatile String contentType = "application/json";
    volatile String body = "{\"accepted\": 1, \"rejected\": []}";
    final CapturedLog log = new CapturedLog(TelemetryClient.class);

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/api/telemetry", this::answer);
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
        log.close();
    }

    private void answer(HttpExchange exchange) throws IOException {
        bodies.add(new ObjectMapper().readTree(exchange.getRequestBody().readAllBytes()));
        authorizations.add(exchange.getRequestHeaders().getFirst("Authorization"));
        Integer scripted = script.poll();
        int answered = scripted == null ? status : scripted;
        byte[] answer = (scripted == null ? body : "{}").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(answered, answer.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(answer);
        }
    }

    URI baseUrl() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    static SyncEvent.Builder sync(String id) {
        return SyncEvent.newBuilder().setEventId(id).setSuccess(true).setDurationMs(10);
    }

    /** A clock ten minutes ahead that moves one minute at each reading. */
    static final class SteppingClock extends Clock {
        final AtomicLong millis =
                new AtomicLong(Instant.now().plus(Duration.ofMinutes(10)).toEpochMilli());

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis.getAndAdd(60_000));
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

    @Test
    void everyRequestCarriesTheTimeItLeftByTheClockOfTheEventsARetryItsOwn() throws Exception {
        SteppingClock clock = new SteppingClock();
        script.addAll(List.of(503, 503));
        try (TelemetryClient client = TelemetryClient.builder(
                        new HttpTelemetryTransport(baseUrl(), "producer-token", Duration.ofSeconds(5), clock), "c-1")
                .clock(clock)
                .backoff(Duration.ofMillis(10), Duration.ofMillis(20))
                .build()) {
            client.send(sync("e-1"));
            assertThat(client.flush(FLUSH)).isTrue();
            assertThat(client.stats().sent()).isEqualTo(1);
        }

        assertThat(bodies).hasSize(3);
        List<Long> sentAt = bodies.stream().map(b -> b.path("sentAt").asLong()).toList();
        long eventTime = bodies.get(0).path("events").get(0).path("eventTime").asLong();
        assertThat(bodies)
                .allSatisfy(b -> assertThat(b.path("sentAt").isIntegralNumber()).isTrue());
        assertThat(bodies).as("the event keeps the time it was made").allSatisfy(b -> assertThat(
                        b.path("events").get(0).path("eventTime").asLong())
                .isEqualTo(eventTime));
        // Each attempt reads the clock anew: a minute later each time, after the event's own reading.
        assertThat(sentAt.get(0)).isGreaterThan(eventTime);
        assertThat(sentAt.get(1)).isEqualTo(sentAt.get(0) + 60_000);
        assertThat(sentAt.get(2)).isEqualTo(sentAt.get(1) + 60_000);
    }

    @Test
    void theClockGivenToTheClientStampsSentAtThoughTheTransportWasBuiltWithoutOne() throws Exception {
        // An hour ahead of the system clock, as on a device whose clock is wrong, or in a test.
        Instant fixed = Instant.now().plus(Duration.ofHours(1)).truncatedTo(ChronoUnit.MILLIS);
        try (TelemetryClient client = TelemetryClient.builder(
                        new HttpTelemetryTransport(baseUrl(), "producer-token", Duration.ofSeconds(5)), "c-1")
                .clock(Clock.fixed(fixed, ZoneOffset.UTC))
                .build()) {
            client.send(sync("e-1"));
            assertThat(client.flush(FLUSH)).isTrue();
        }

        assertThat(bodies).hasSize(1);
        assertThat(bodies.get(0).path("events").get(0).path("eventTime").asLong())
                .isEqualTo(fixed.toEpochMilli());
        assertThat(bodies.get(0).path("sentAt").asLong())
                .as("sentAt by the client's clock, not the system's")
                .isEqualTo(fixed.toEpochMilli());
    }

    @Test
    void aClientWithoutAClockOfItsOwnLeavesTheTransportsClock() throws Exception {
        SteppingClock clock = new SteppingClock();
        long first = clock.millis.get();
        try (TelemetryClient client = TelemetryClient.builder(
                        new HttpTelemetryTransport(baseUrl(), "producer-token", Duration.ofSeconds(5), clock), "c-1")
                .build()) {
            client.send(sync("e-1"));
            assertThat(client.flush(FLUSH)).isTrue();
        }

        assertThat(bodies).hasSize(1);
        assertThat(bodies.get(0).path("sentAt").asLong()).isEqualTo(first);
    }

    @Test
    void theHalvesOfABatchOverTheBodyLimitAreStampedEach() {
        SteppingClock clock = new SteppingClock();
        script.add(413);
        var transport = new HttpTelemetryTransport(baseUrl(), "producer-token", Duration.ofSeconds(5), clock);

        Instant now = Instant.now();
        assertThat(transport.send(List.of(
                        sync("e-1").setClientId("c-1").setEventTime(now).build(),
                        sync("e-2").setClientId("c-1").setEventTime(now).build())))
                .isEmpty();

        assertThat(bodies).hasSize(3);
        assertThat(bodies.get(2).path("sentAt").asLong())
                .isEqualTo(bodies.get(1).path("sentAt").asLong() + 60_000)
                .isEqualTo(bodies.get(0).path("sentAt").asLong() + 120_000);
    }

    @Test
    void theTokenIsStrippedOfTheLineBreakItsFileEndsWithAndOneThatCannotBeAHeaderIsRefused() throws Exception {
        try (TelemetryClient client = TelemetryClient.builder(
                        new HttpTelemetryTransport(baseUrl(), "  producer-token\n", Duration.ofSeconds(5)), "c-1")
                .build()) {
            client.send(sync("e-1"));
            assertThat(client.flush(FLUSH)).isTrue();
            assertThat(client.stats().sent()).isEqualTo(1);
        }
        assertThat(authorizations).containsExactly("Bearer producer-token");

        assertThatThrownBy(
                        () -> new HttpTelemetryTransport(baseUrl(), "secret\r\nX-Injected: 1", Duration.ofSeconds(5)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("control or non-ASCII character at position 6")
                .hasMessageNotContaining("secret");
        assertThatThrownBy(() -> new HttpTelemetryTransport(baseUrl(), " \n", Duration.ofSeconds(5)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("blank");
    }

    @Test
    void aBatchRefusedForGoodIsLoggedOncePerStatusWithTheReceiversCodeAndMessage() throws Exception {
        List<String> rejected = new CopyOnWriteArrayList<>();
        status = 401;
        body = "{\"code\": \"UNAUTHENTICATED\", \"message\": \"unknown or revoked token\"}";
        try (TelemetryClient client = TelemetryClient.builder(
                        new HttpTelemetryTransport(baseUrl(), "revoked", Duration.ofSeconds(5)), "c-1")
                .listener(new TelemetryListener() {
                    @Override
                    public void rejected(SpecificRecord event, String code, String reason) {
                        rejected.add(code);
                    }
                })
                .build()) {
            client.send(sync("e-1"));
            assertThat(client.flush(FLUSH)).isTrue();
            client.send(sync("e-2"));
            assertThat(client.flush(FLUSH)).isTrue();

            // A base URL that is not metrics-ingest's: a server that answers in HTML.
            status = 404;
            contentType = "text/html";
            body = "<html><body>Not Found</body></html>";
            client.send(sync("e-3"));
            assertThat(client.flush(FLUSH)).isTrue();
            client.send(sync("e-4"));
            assertThat(client.flush(FLUSH)).isTrue();

            status = 200;
            contentType = "application/json";
            body = "{\"accepted\": 1, \"rejected\": []}";
            client.send(sync("e-5"));
            assertThat(client.flush(FLUSH)).isTrue();
            assertThat(client.stats().sent()).isEqualTo(1);
            assertThat(client.stats().rejected()).isEqualTo(4);
        }

        assertThat(rejected).containsExactly("UNAUTHENTICATED", "UNAUTHENTICATED", "HTTP_404", "HTTP_404");
        assertThat(log.containing("refused a whole batch")).hasSize(2);
        assertThat(log.containing("answered 401 UNAUTHENTICATED: unknown or revoked token", "not revoked?"))
                .hasSize(1);
        assertThat(log.containing("answered 404 HTTP_404", "base URL")).hasSize(1);
        assertThat(log.warnings).noneMatch(w -> w.contains("revoked\""));
    }
}
