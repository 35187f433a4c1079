package dev.rollguard.flag;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The server-sent change stream: a refetch event with the new ETag shortly after every change. */
@QuarkusTest
@QuarkusTestResource(FlagServiceInfra.class)
class ChangeStreamTest {

    @TestHTTPResource("/ofrep/v1/events")
    URL events;

    // HTTP/1.1 as browsers' EventSource uses it (the JDK client would otherwise try an h2c upgrade).
    private final HttpClient http =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Test
    void aChangeReachesSubscribersWithinAFractionOfASecond() throws Exception {
        String key = Api.key("streamed");
        Api.create(Map.of("key", key, "enabled", true, "rolloutPercentage", 100));

        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        CompletableFuture<HttpResponse<Stream<String>>> response = http.sendAsync(
                HttpRequest.newBuilder(URI.create(events.toString()))
                        .header("Authorization", "Bearer " + Api.CLIENT)
                        .header("Accept", "text/event-stream")
                        .build(),
                HttpResponse.BodyHandlers.ofLines());
        Thread reader = new Thread(() -> response.join().body().forEach(lines::add), "sse-reader");
        reader.setDaemon(true);
        reader.start();
        try {
            assertThat(response.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            awaitLine(lines, l -> l.startsWith(":") && l.contains("connected"), Duration.ofSeconds(10));

            long start = System.nanoTime();
            Api.kill(key, "streamed kill");
            String data = awaitLine(lines, l -> l.startsWith("data:"), Duration.ofSeconds(5));
            long millis = (System.nanoTime() - start) / 1_000_000;

            JsonNode event = new ObjectMapper().readTree(data.substring("data:".length()));
            assertThat(event.get("type").asText()).isEqualTo("refetchEvaluation");
            String revision = Api.client()
                    .body("{\"context\":{\"targetingKey\":\"u1\"}}")
                    .post("/ofrep/v1/evaluate/flags")
                    .jsonPath()
                    .getString("metadata.revision");
            assertThat(event.get("etag").asText()).isEqualTo("\"" + revision + "\"");
            assertThat(event.get("lastModified").asLong()).isPositive();
            // The kill call itself returns after the commit; the event follows it at once.
            assertThat(millis).as("kill to event, ms").isLessThan(1000);
        } finally {
            response.cancel(true);
            reader.interrupt();
        }
    }

    @Test
    void theStreamNeedsAToken() throws Exception {
        HttpResponse<Void> response = http.send(
                HttpRequest.newBuilder(URI.create(events.toString())).build(), HttpResponse.BodyHandlers.discarding());
        assertThat(response.statusCode()).isEqualTo(401);
    }

    private static String awaitLine(
            BlockingQueue<String> lines, java.util.function.Predicate<String> wanted, Duration timeout) {
        String[] found = new String[1];
        java.util.List<String> skipped = new java.util.ArrayList<>();
        await().atMost(timeout)
                .pollInterval(Duration.ofMillis(5))
                .conditionEvaluationListener(condition -> {
                    if (!condition.isSatisfied() && condition.getRemainingTimeInMS() <= 10) {
                        System.err.println("SSE lines seen: " + skipped);
                    }
                })
                .until(() -> {
                    for (String line; (line = lines.poll()) != null; ) {
                        if (wanted.test(line)) {
                            found[0] = line;
                            return true;
                        }
                        skipped.add(line);
                    }
                    return false;
                });
        return found[0];
    }
}
