package dev.rollguard.console.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.rollguard.console.config.ConsoleConfig;
import io.quarkus.logging.Log;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;

/**
 * Calls the services' documented REST APIs with the operator's token and hands back their answers unchanged: the
 * console adds no rules of its own, it shows what the services say (status, JSON error, violations). Blocking, for
 * the worker threads that render pages.
 */
@ApplicationScoped
public class ServiceClient {

    /** The services the console talks to. */
    public enum Service {
        FLAG("flag-service"),
        INGEST("metrics-ingest"),
        ALERT("alert-service"),
        ROLLBACK("rollback-service");

        final String label;

        Service(String label) {
            this.label = label;
        }
    }

    private final ConsoleConfig config;
    private final ObjectMapper json;
    private final HttpClient http;

    public ServiceClient(ConsoleConfig config, ObjectMapper json) {
        this.config = config;
        this.json = json;
        this.http = HttpClient.newBuilder()
                .connectTimeout(config.services().timeout())
                .build();
    }

    public ApiResult get(Service service, String pathAndQuery, String token) {
        return send(service, "GET", pathAndQuery, token, null, Map.of(), false);
    }

    /**
     * A write with an Idempotency-Key: the one in {@code headers} (a confirmation form carries the key made when it
     * was shown, so the form submitted twice changes the flag once), else a new one. A write that went out and got no
     * answer is {@link ApiResult#noAnswer}: it may have been applied.
     */
    public ApiResult write(
            Service service, String method, String path, String token, Object body, Map<String, String> headers) {
        Map<String, String> all = new java.util.HashMap<>(headers);
        all.putIfAbsent("Idempotency-Key", "console-" + UUID.randomUUID());
        return send(service, method, path, token, body, all, true);
    }

    public ApiResult getText(Service service, String pathAndQuery, String token) {
        return send(service, "GET", pathAndQuery, token, null, Map.of("Accept", "text/plain"), false);
    }

    private ApiResult send(
            Service service,
            String method,
            String pathAndQuery,
            String token,
            Object body,
            Map<String, String> headers,
            boolean write) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base(service) + pathAndQuery))
                .timeout(config.services().timeout())
                .header("Authorization", "Bearer " + token);
        if (!headers.containsKey("Accept")) {
            request.header("Accept", "application/json");
        }
        headers.forEach(request::header);
        try {
            if (body == null) {
                request.method(method, HttpRequest.BodyPublishers.noBody());
            } else {
                String contentType = "PATCH".equals(method) ? "application/merge-patch+json" : "application/json";
                request.header("Content-Type", contentType)
                        .method(method, HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body)));
            }
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            return new ApiResult(
                    response.statusCode(),
                    parse(response.body()),
                    response.body(),
                    response.headers().firstValue("ETag").orElse(null));
        } catch (ConnectException e) {
            Log.warnf("%s %s%s failed: %s", method, service.label, pathAndQuery, e.toString());
            return ApiResult.unavailable(service.label, e.getClass().getSimpleName());
        } catch (IOException e) {
            Log.warnf("%s %s%s failed: %s", method, service.label, pathAndQuery, e.toString());
            return write
                    ? ApiResult.noAnswer(service.label, e.getClass().getSimpleName())
                    : ApiResult.unavailable(service.label, e.getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ApiResult.unavailable(service.label, "interrupted");
        }
    }

    private JsonNode parse(String body) {
        if (body == null || body.isBlank()) {
            return MissingNode.getInstance();
        }
        try {
            return json.readTree(body);
        } catch (JsonProcessingException notJson) {
            return MissingNode.getInstance();
        }
    }

    private String base(Service service) {
        String url =
                switch (service) {
                    case FLAG -> config.services().flagService();
                    case INGEST -> config.services().metricsIngest();
                    case ALERT -> config.services().alertService();
                    case ROLLBACK -> config.services().rollbackService();
                };
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    /** A path segment or query value, encoded. */
    public static String enc(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
