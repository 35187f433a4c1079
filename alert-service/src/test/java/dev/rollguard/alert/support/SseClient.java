package dev.rollguard.alert.support;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/** A minimal Server-Sent Events reader over the JDK HTTP client: collects events in the background. */
public final class SseClient implements AutoCloseable {

    /** One received event. */
    public record Event(String id, String name, String data) {}

    private final List<Event> events = new CopyOnWriteArrayList<>();
    private final java.util.concurrent.atomic.AtomicInteger comments = new java.util.concurrent.atomic.AtomicInteger();
    private final CompletableFuture<HttpResponse<Stream<String>>> response;
    private volatile Stream<String> lines;

    public SseClient(URI uri, String token, String lastEventId) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                .header("Accept", "text/event-stream")
                .header("Authorization", "Bearer " + token)
                .timeout(Duration.ofMinutes(5));
        if (lastEventId != null) {
            request.header("Last-Event-ID", lastEventId);
        }
        response = HttpClient.newHttpClient().sendAsync(request.GET().build(), HttpResponse.BodyHandlers.ofLines());
        response.thenAcceptAsync(r -> {
            lines = r.body();
            String[] current = new String[3];
            try {
                lines.forEach(line -> {
                    if (line.isEmpty()) {
                        if (current[2] != null) {
                            events.add(new Event(current[0], current[1], current[2]));
                        }
                        current[0] = current[1] = current[2] = null;
                    } else if (line.startsWith(":")) {
                        comments.incrementAndGet();
                    } else if (line.startsWith("id:")) {
                        current[0] = line.substring(3).strip();
                    } else if (line.startsWith("event:")) {
                        current[1] = line.substring(6).strip();
                    } else if (line.startsWith("data:")) {
                        String data = line.substring(5).strip();
                        current[2] = current[2] == null ? data : current[2] + "\n" + data;
                    }
                });
            } catch (RuntimeException closed) {
                // the stream was closed by close()
            }
        });
    }

    public List<Event> events() {
        return List.copyOf(events);
    }

    /** Comment lines received (heartbeats). */
    public int comments() {
        return comments.get();
    }

    public int status() {
        return response.join().statusCode();
    }

    @Override
    public void close() {
        response.cancel(true);
        if (lines != null) {
            lines.close();
        }
    }
}
