package dev.rollguard.ingest.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.http.error.ApiException;
import dev.rollguard.ingest.config.IngestConfig;
import dev.rollguard.ingest.mapping.WindowAggregateCodec;
import io.quarkus.logging.Log;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.streams.state.HostInfo;

/**
 * Asks another metrics-ingest instance for the merged windows of a scope it hosts ({@code GET
 * /api/internal/windows}), with the admin token. The aggregate travels in its binary store format, so the sketches
 * merge exactly.
 *
 * <p>A report asks every instance it needs at once ({@link #ask}) and waits for all of them until one deadline, {@link
 * #TIMEOUT} after the first ask ({@link Ask#await}): the whole exchange, its body included, so a report whose scopes
 * several slow instances host, or one instance that stalls its answer, still ends within it, and a caller with its own
 * deadline (the console's, 12 s) hears this instance's own answer first.
 */
@ApplicationScoped
public class RemoteWindowsClient {

    /** How long a report waits for the instances it asks, all of them together. */
    public static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final ObjectMapper json;
    private final IngestConfig config;

    public RemoteWindowsClient(ObjectMapper json, IngestConfig config) {
        this.json = json;
        this.config = config;
    }

    /** Asks {@code host} for the windows of {@code scope} and waits for the answer, at most {@link #TIMEOUT}. */
    public HealthReportService.ScopeWindows fetch(HostInfo host, String scope, Instant from, Instant to) {
        return ask(host, scope, from, to).await(System.nanoTime() + TIMEOUT.toNanos());
    }

    /** Asks {@code host} for the windows of {@code scope}, without waiting: {@link Ask#await} takes the answer. */
    public Ask ask(HostInfo host, String scope, Instant from, Instant to) {
        URI uri = URI.create("http://" + host.host() + ":" + host.port() + "/api/internal/windows?scope="
                + URLEncoder.encode(scope, StandardCharsets.UTF_8) + "&from=" + from.toEpochMilli() + "&to="
                + to.toEpochMilli());
        HttpRequest request = HttpRequest.newBuilder(uri)
                .timeout(TIMEOUT)
                .header("Authorization", "Bearer " + config.auth().adminToken().orElse(""))
                .GET()
                .build();
        return new Ask(host, scope, http.sendAsync(request, HttpResponse.BodyHandlers.ofString()));
    }

    /** An answer on its way from another instance. */
    public final class Ask {
        private final HostInfo host;
        private final String scope;
        private final CompletableFuture<HttpResponse<String>> exchange;

        private Ask(HostInfo host, String scope, CompletableFuture<HttpResponse<String>> exchange) {
            this.host = host;
            this.scope = scope;
            this.exchange = exchange;
        }

        /**
         * The windows, waiting until {@code deadlineNanos} ({@link System#nanoTime}) at most; a 503 {@link
         * ApiException} when the instance did not answer them by then (the exchange is then cancelled, which closes
         * its connection).
         */
        public HealthReportService.ScopeWindows await(long deadlineNanos) {
            HttpResponse<String> response;
            try {
                response = exchange.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                cancel();
                Log.warnf("instance %s did not answer within %s for the windows of %s", host, TIMEOUT, scope);
                throw unavailable(host);
            } catch (ExecutionException e) {
                Log.warnf(
                        "instance %s could not be asked for the windows of %s: %s",
                        host, scope, e.getCause().getMessage());
                throw unavailable(host);
            } catch (InterruptedException e) {
                cancel();
                Thread.currentThread().interrupt();
                throw unavailable(host);
            }
            if (response.statusCode() != 200) {
                Log.warnf("instance %s answered %d for the windows of %s", host, response.statusCode(), scope);
                throw unavailable(host);
            }
            try {
                JsonNode body = json.readTree(response.body());
                byte[] aggregate =
                        Base64.getDecoder().decode(body.get("aggregate").asText());
                return new HealthReportService.ScopeWindows(
                        body.get("windows").asInt(), WindowAggregateCodec.decode(aggregate));
            } catch (IOException | RuntimeException e) {
                Log.warnf("instance %s answered windows of %s that could not be read: %s", host, scope, e.getMessage());
                throw unavailable(host);
            }
        }

        /** Gives the answer up: the exchange is cancelled and its connection closed. */
        public void cancel() {
            exchange.cancel(true);
        }
    }

    private static ApiException unavailable(HostInfo host) {
        return new ApiException(
                503, "UNAVAILABLE", "the instance hosting part of the report (" + host + ") did not answer; retry");
    }
}
