package dev.rollguard.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpClient.Version;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.avro.specific.SpecificRecord;

/**
 * Sends batches to metrics-ingest's {@code POST /api/telemetry} with a producer token. A batch over the receiver's
 * body limit (413) is split in halves and sent again; an event refused by validation comes back as a {@link
 * TelemetryTransport.Rejection} with the receiver's code ({@code INVALID_CHARACTER}, {@code FUTURE_TIMESTAMP}, ...).
 * Every request carries {@code sentAt}, the time it is made by the clock of the event times: metrics-ingest moves the
 * event times by its difference to its own clock, so telemetry from a host whose clock is wrong is not lost. A batch
 * sent again is stamped again. A {@link TelemetryClient} built with a {@link TelemetryClient.Builder#clock} of its
 * own gives the transport that clock, so the event times and {@code sentAt} come from one clock.
 */
public final class HttpTelemetryTransport implements TelemetryTransport {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final HttpClient http;
    private final URI endpoint;
    private final String authorization;
    private final Duration timeout;
    /** Set once before the client's sender starts ({@link #useClock}); volatile for a transport used on its own. */
    private volatile Clock clock;

    /**
     * @param baseUrl metrics-ingest's URL, e.g. {@code https://ingest.example.com}
     * @param producerToken a producer token (never logged); surrounding whitespace, such as the line break a token
     *     file ends with, is stripped
     * @param timeout how long one request may take before it counts as failed (and is retried)
     */
    public HttpTelemetryTransport(URI baseUrl, String producerToken, Duration timeout) {
        this(baseUrl, producerToken, timeout, Clock.systemUTC());
    }

    /**
     * @param clock the clock each request's {@code sentAt} is read from: the one the event times come from; a client
     *     built with a {@link TelemetryClient.Builder#clock} of its own replaces it with that one
     */
    public HttpTelemetryTransport(URI baseUrl, String producerToken, Duration timeout, Clock clock) {
        this(
                HttpClient.newBuilder()
                        .connectTimeout(timeout)
                        // Over plain HTTP the client would ask for an upgrade to HTTP/2 with every first request;
                        // over TLS, ALPN picks the version.
                        .version("http".equalsIgnoreCase(baseUrl.getScheme()) ? Version.HTTP_1_1 : Version.HTTP_2)
                        .build(),
                baseUrl,
                producerToken,
                timeout,
                clock);
    }

    /**
     * @throws IllegalArgumentException when the token is blank or holds a character that cannot go in an HTTP header
     *     (a control character, a non-ASCII one): every request would fail
     */
    public HttpTelemetryTransport(HttpClient http, URI baseUrl, String producerToken, Duration timeout) {
        this(http, baseUrl, producerToken, timeout, Clock.systemUTC());
    }

    /**
     * @param clock the clock each request's {@code sentAt} is read from: the one the event times come from; a client
     *     built with a {@link TelemetryClient.Builder#clock} of its own replaces it with that one
     * @throws IllegalArgumentException when the token is blank or holds a character that cannot go in an HTTP header
     */
    public HttpTelemetryTransport(HttpClient http, URI baseUrl, String producerToken, Duration timeout, Clock clock) {
        this.http = Objects.requireNonNull(http, "http");
        String base = baseUrl.toString();
        this.endpoint = URI.create((base.endsWith("/") ? base : base + "/") + "api/telemetry");
        this.authorization = "Bearer " + token(producerToken);
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    private static String token(String producerToken) {
        String token = Objects.requireNonNull(producerToken, "producerToken").strip();
        if (token.isEmpty()) {
            throw new IllegalArgumentException("producerToken must not be blank");
        }
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c < 0x20 || c > 0x7E) {
                // The message never repeats the token.
                throw new IllegalArgumentException("producerToken holds a control or non-ASCII character at position "
                        + i + "; a token is printable ASCII");
            }
        }
        return token;
    }

    /** From now on, {@code sentAt} is read from {@code clock}: the client's, given when it is built. */
    @Override
    public void useClock(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public List<Rejection> send(List<SpecificRecord> events) {
        List<Rejection> rejections = new ArrayList<>();
        send(events, 0, rejections);
        return rejections;
    }

    /** Sends {@code events}, whose first one is at {@code offset} in the caller's batch. */
    private void send(List<SpecificRecord> events, int offset, List<Rejection> rejections) {
        // Stamped per request: a retry, or the second half of a split batch, says when it left, not when the first did.
        HttpResponse<byte[]> response = post(TelemetryJson.batch(events, clock.instant()));
        int status = response.statusCode();
        if (status == 200) {
            for (JsonNode rejected : body(response).path("rejected")) {
                rejections.add(new Rejection(
                        offset + rejected.path("index").asInt(),
                        rejected.path("code").asText("REJECTED"),
                        rejected.path("reason").asText("")));
            }
            return;
        }
        if (status == 413 && events.size() > 1) {
            int half = events.size() / 2;
            send(events.subList(0, half), offset, rejections);
            send(events.subList(half, events.size()), offset + half, rejections);
            return;
        }
        JsonNode error = body(response);
        String code = EventMender.forLog(error.path("code").asText(""), 64);
        if (code.isBlank()) {
            code = "HTTP_" + status;
        }
        String said = EventMender.forLog(error.path("message").asText(""), 300);
        String message = "POST " + endpoint + " answered " + status + " " + code + (said.isBlank() ? "" : ": " + said)
                + hint(status);
        if (status == 413) {
            rejections.add(new Rejection(offset, code, message));
            return;
        }
        boolean retryable = status == 408 || status == 425 || status == 429 || status >= 500;
        throw new TelemetryTransportException(code, message, retryable, null);
    }

    /** What an answer that refuses every batch most likely means, for the app's operator. */
    private static String hint(int status) {
        return switch (status) {
            case 401 -> " (is the producer token right and not revoked?)";
            case 403 -> " (is the token a producer token?)";
            case 404 -> " (is the base URL metrics-ingest's?)";
            default -> "";
        };
    }

    private HttpResponse<byte[]> post(byte[] body) {
        HttpRequest request = HttpRequest.newBuilder(endpoint)
                .timeout(timeout)
                .header("Authorization", authorization)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new TelemetryTransportException(
                    "UNREACHABLE", "POST " + endpoint + " failed: " + e.getMessage(), true, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TelemetryTransportException("INTERRUPTED", "POST " + endpoint + " interrupted", true, e);
        }
    }

    private static JsonNode body(HttpResponse<byte[]> response) {
        try {
            return response.body().length == 0 ? MAPPER.missingNode() : MAPPER.readTree(response.body());
        } catch (IOException e) {
            return MAPPER.missingNode();
        }
    }
}
