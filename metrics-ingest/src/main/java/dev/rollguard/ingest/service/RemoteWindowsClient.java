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
import org.apache.kafka.streams.state.HostInfo;

/**
 * Asks another metrics-ingest instance for the merged windows of a scope it hosts ({@code GET
 * /api/internal/windows}), with the admin token. The aggregate travels in its binary store format, so the sketches
 * merge exactly.
 */
@ApplicationScoped
public class RemoteWindowsClient {

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final ObjectMapper json;
    private final IngestConfig config;

    public RemoteWindowsClient(ObjectMapper json, IngestConfig config) {
        this.json = json;
        this.config = config;
    }

    public HealthReportService.ScopeWindows fetch(HostInfo host, String scope, Instant from, Instant to) {
        URI uri = URI.create("http://" + host.host() + ":" + host.port() + "/api/internal/windows?scope="
                + URLEncoder.encode(scope, StandardCharsets.UTF_8) + "&from=" + from.toEpochMilli() + "&to="
                + to.toEpochMilli());
        HttpRequest request = HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(5))
                .header("Authorization", "Bearer " + config.auth().adminToken().orElse(""))
                .GET()
                .build();
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                Log.warnf("instance %s answered %d for the windows of %s", host, response.statusCode(), scope);
                throw unavailable(host);
            }
            JsonNode body = json.readTree(response.body());
            byte[] aggregate = Base64.getDecoder().decode(body.get("aggregate").asText());
            return new HealthReportService.ScopeWindows(
                    body.get("windows").asInt(), WindowAggregateCodec.decode(aggregate));
        } catch (IOException | RuntimeException e) {
            if (e instanceof ApiException api) {
                throw api;
            }
            Log.warnf("instance %s could not be asked for the windows of %s: %s", host, scope, e.getMessage());
            throw unavailable(host);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unavailable(host);
        }
    }

    private static ApiException unavailable(HostInfo host) {
        return new ApiException(
                503, "UNAVAILABLE", "the instance hosting part of the report (" + host + ") did not answer; retry");
    }
}
