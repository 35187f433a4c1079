package dev.rollguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/** The services' REST APIs as the demo, the end-to-end test and the CLI use them (docs/contracts.md). */
public final class RollguardApi {

    /** An HTTP answer: status, parsed JSON body (missing when empty or not JSON) and headers. */
    public record Answer(int status, JsonNode body, Map<String, java.util.List<String>> headers, String text) {
        public boolean ok() {
            return status >= 200 && status < 300;
        }

        public String header(String name) {
            return headers.entrySet().stream()
                    .filter(e -> e.getKey().equalsIgnoreCase(name))
                    .flatMap(e -> e.getValue().stream())
                    .findFirst()
                    .orElse(null);
        }

        /** This answer if successful, else an exception naming the request's error code and message. */
        public Answer orThrow(String what) {
            if (!ok()) {
                throw new IllegalStateException(what + " failed: HTTP " + status + " " + text);
            }
            return this;
        }
    }

    public static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(3))
            .version(HttpClient.Version.HTTP_1_1)
            .build();
    private final Endpoints endpoints;

    /** Where the services are and the tokens to use. */
    public record Endpoints(
            String flagService,
            String metricsIngest,
            String alertService,
            String rollbackService,
            String adminToken,
            String clientToken,
            String producerToken) {

        /** From the environment written by {@code bin/rollguard up} ({@code .rollguard/env}). */
        public static Endpoints fromEnvironment(Map<String, String> env) {
            return new Endpoints(
                    env.getOrDefault("ROLLGUARD_FLAG_SERVICE_URL", "http://127.0.0.1:8081"),
                    env.getOrDefault("ROLLGUARD_METRICS_INGEST_URL", "http://127.0.0.1:8082"),
                    env.getOrDefault("ROLLGUARD_ALERT_SERVICE_URL", "http://127.0.0.1:8083"),
                    env.getOrDefault("ROLLGUARD_ROLLBACK_SERVICE_URL", "http://127.0.0.1:8084"),
                    env.get("ROLLGUARD_ADMIN_TOKEN"),
                    env.get("ROLLGUARD_CLIENT_TOKEN"),
                    env.get("ROLLGUARD_PRODUCER_TOKEN"));
        }
    }

    public RollguardApi(Endpoints endpoints) {
        this.endpoints = endpoints;
    }

    public Endpoints endpoints() {
        return endpoints;
    }

    // --- flag-service ---------------------------------------------------------------------------------------

    public Answer flag(String key) {
        return send("GET", endpoints.flagService() + "/api/flags/" + key, endpoints.adminToken(), null, Map.of());
    }

    public Answer flags() {
        return send("GET", endpoints.flagService() + "/api/flags", endpoints.adminToken(), null, Map.of());
    }

    public Answer createFlag(JsonNode flag) {
        return send("POST", endpoints.flagService() + "/api/flags", endpoints.adminToken(), flag, Map.of());
    }

    public Answer updateFlag(String key, JsonNode changes, String etag) {
        return send(
                "PATCH",
                endpoints.flagService() + "/api/flags/" + key,
                endpoints.adminToken(),
                changes,
                Map.of("If-Match", etag));
    }

    public Answer kill(String key, String reason) {
        return send(
                "POST",
                endpoints.flagService() + "/api/flags/" + key + "/kill",
                endpoints.adminToken(),
                JSON.createObjectNode().put("reason", reason),
                Map.of());
    }

    public Answer unkill(String key, String reason) {
        return send(
                "POST",
                endpoints.flagService() + "/api/flags/" + key + "/unkill",
                endpoints.adminToken(),
                JSON.createObjectNode().put("reason", reason),
                Map.of());
    }

    /** {@code action}: advance, revert or set (with {@code stage}). */
    public Answer stage(String key, String action, Integer stage, String reason) {
        return stage(key, action, stage, reason, null);
    }

    /**
     * As {@link #stage(String, String, Integer, String)}; with {@code stageVersion} (the flag's {@code stageVersion}
     * when the move was decided) the flag-service refuses the move with 409 {@code STAGE_CHANGED} once the flag is in
     * another stage.
     */
    public Answer stage(String key, String action, Integer stage, String reason, Long stageVersion) {
        var body = JSON.createObjectNode().put("action", action).put("reason", reason);
        if (stage != null) {
            body.put("stage", stage);
        }
        if (stageVersion != null) {
            body.put("stageVersion", stageVersion);
        }
        return send(
                "POST",
                endpoints.flagService() + "/api/flags/" + key + "/stage",
                endpoints.adminToken(),
                body,
                Map.of());
    }

    /** The flag's rollout plan as a timeline: stages, current one, time in stage, paused/killed/aborted. */
    public Answer rollout(String key) {
        return send(
                "GET",
                endpoints.flagService() + "/api/flags/" + key + "/rollout",
                endpoints.adminToken(),
                null,
                Map.of());
    }

    /** Next stage now; {@code skipSoak} goes on before the current stage's soak time is over. */
    public Answer promote(String key, String reason, boolean skipSoak, String actor) {
        return promote(key, reason, skipSoak, actor, null);
    }

    /**
     * As {@link #promote(String, String, boolean, String)}; with {@code stageVersion} only from the stage that began at
     * that flag version (409 {@code STAGE_CHANGED} otherwise).
     */
    public Answer promote(String key, String reason, boolean skipSoak, String actor, Long stageVersion) {
        var body = JSON.createObjectNode().put("reason", reason);
        if (skipSoak) {
            body.put("skipSoak", true);
        }
        if (stageVersion != null) {
            body.put("stageVersion", stageVersion);
        }
        return rolloutControl(key, "promote", body, actor);
    }

    /** {@code control}: pause, resume, abort or retry. */
    public Answer rolloutControl(String key, String control, String reason, String actor) {
        return rolloutControl(key, control, JSON.createObjectNode().put("reason", reason), actor);
    }

    private Answer rolloutControl(String key, String control, JsonNode body, String actor) {
        return send(
                "POST",
                endpoints.flagService() + "/api/flags/" + key + "/rollout/" + control,
                endpoints.adminToken(),
                body,
                actor == null || actor.isBlank() ? Map.of() : Map.of("X-Rollguard-Actor", actor));
    }

    /** Every segment, with the flags that use it. */
    public Answer segments() {
        return send("GET", endpoints.flagService() + "/api/segments", endpoints.adminToken(), null, Map.of());
    }

    public Answer segment(String key) {
        return send(
                "GET",
                endpoints.flagService() + "/api/segments/" + encode(key),
                endpoints.adminToken(),
                null,
                Map.of());
    }

    /** {@code {"key", "description", "constraints": [...]}}. */
    public Answer createSegment(JsonNode segment) {
        return send("POST", endpoints.flagService() + "/api/segments", endpoints.adminToken(), segment, Map.of());
    }

    /** Replaces the segment's description and constraints; the flags using it are republished. */
    public Answer updateSegment(String key, JsonNode segment) {
        return send(
                "PUT",
                endpoints.flagService() + "/api/segments/" + encode(key),
                endpoints.adminToken(),
                segment,
                Map.of());
    }

    public Answer deleteSegment(String key, String reason) {
        return send(
                "DELETE",
                endpoints.flagService() + "/api/segments/" + encode(key)
                        + (reason == null ? "" : "?reason=" + encode(reason)),
                endpoints.adminToken(),
                null,
                Map.of());
    }

    /** What {@code {"context", "rules"?, "variantWeights"?}} would be served by the flag; nothing is saved. */
    public Answer preview(String key, JsonNode request) {
        return send(
                "POST",
                endpoints.flagService() + "/api/flags/" + key + "/preview",
                endpoints.adminToken(),
                request,
                Map.of());
    }

    public Answer audit(String flagKey) {
        return send(
                "GET",
                endpoints.flagService() + "/api/audit" + (flagKey == null ? "" : "?flag=" + encode(flagKey)),
                endpoints.adminToken(),
                null,
                Map.of());
    }

    /** OFREP single-flag evaluation with the client token. */
    public Answer evaluate(String key, String targetingKey) {
        var body = JSON.createObjectNode();
        body.putObject("context").put("targetingKey", targetingKey);
        return send(
                "POST",
                endpoints.flagService() + "/ofrep/v1/evaluate/flags/" + key,
                endpoints.clientToken(),
                body,
                Map.of());
    }

    // --- alert-service and rollback-service -----------------------------------------------------------------

    public Answer rules() {
        return send("GET", endpoints.alertService() + "/api/rules", endpoints.adminToken(), null, Map.of());
    }

    public Answer createRule(JsonNode rule) {
        return send("POST", endpoints.alertService() + "/api/rules", endpoints.adminToken(), rule, Map.of());
    }

    public Answer deleteRule(String id) {
        return send("DELETE", endpoints.alertService() + "/api/rules/" + id, endpoints.adminToken(), null, Map.of());
    }

    public Answer alerts(String query) {
        return send(
                "GET",
                endpoints.alertService() + "/api/alerts" + (query == null ? "" : "?" + query),
                endpoints.adminToken(),
                null,
                Map.of());
    }

    /** Every silence of notifications, newest first (alert-service). */
    public Answer silences() {
        return send("GET", endpoints.alertService() + "/api/silences", endpoints.adminToken(), null, Map.of());
    }

    /** Makes a silence: {@code {"matchers", "startsAt"?, "endsAt", "createdBy", "comment"}} (alert-service). */
    public Answer createSilence(JsonNode silence) {
        return send("POST", endpoints.alertService() + "/api/silences", endpoints.adminToken(), silence, Map.of());
    }

    /** Ends a silence now (alert-service), recording who did. */
    public Answer expireSilence(String id, String actor) {
        return send(
                "DELETE",
                endpoints.alertService() + "/api/silences/" + encode(id),
                endpoints.adminToken(),
                null,
                actor == null || actor.isBlank() ? Map.of() : Map.of("X-Rollguard-Actor", actor));
    }

    /** The guard's latest verdict on every flag it judges (alert-service). */
    public Answer guard() {
        return send("GET", endpoints.alertService() + "/api/guard", endpoints.adminToken(), null, Map.of());
    }

    public Answer rollbacks(String flagKey) {
        return send(
                "GET",
                endpoints.rollbackService() + "/api/rollbacks" + (flagKey == null ? "" : "?flag=" + encode(flagKey)),
                endpoints.adminToken(),
                null,
                Map.of());
    }

    /** The promoter's view of each flag it watches (rollback-service); {@code flagKey} narrows it to one flag. */
    public Answer promotions(String flagKey) {
        return send(
                "GET",
                endpoints.rollbackService() + "/api/promotions" + (flagKey == null ? "" : "?flag=" + encode(flagKey)),
                endpoints.adminToken(),
                null,
                Map.of());
    }

    /** The steps the promoter took by itself, newest first; both arguments are optional. */
    public Answer rollouts(String flagKey, Integer limit) {
        StringBuilder query = new StringBuilder();
        if (flagKey != null) {
            query.append("flag=").append(encode(flagKey));
        }
        if (limit != null) {
            query.append(query.isEmpty() ? "" : "&").append("limit=").append(limit);
        }
        return send(
                "GET",
                endpoints.rollbackService() + "/api/rollouts" + (query.isEmpty() ? "" : "?" + query),
                endpoints.adminToken(),
                null,
                Map.of());
    }

    // --- plumbing -------------------------------------------------------------------------------------------

    public Answer send(String method, String url, String token, JsonNode body, Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(15))
                .header("Accept", "application/json");
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        headers.forEach(request::setHeader);
        if (body != null) {
            request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(body.toString()));
        } else {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        }
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode json;
            try {
                json = response.body().isBlank() ? MissingNode.getInstance() : JSON.readTree(response.body());
            } catch (IOException notJson) {
                json = MissingNode.getInstance();
            }
            return new Answer(response.statusCode(), json, response.headers().map(), response.body());
        } catch (IOException e) {
            throw failed(method, url, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /**
     * Opens a server-sent event stream (no timeout: it lasts as long as the caller reads it): the response with its
     * body as a stream, whatever its status; an unreachable service is the same one-line error as {@link #send}'s.
     */
    public HttpResponse<java.io.InputStream> openStream(String url, String token) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).header("Accept", "text/event-stream");
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw failed("GET", url, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** One line for a request that got no answer: a service that cannot be reached says where to look. */
    private static UncheckedIOException failed(String method, String url, IOException e) {
        if (e instanceof java.net.ConnectException) {
            return new UncheckedIOException(
                    "cannot reach " + URI.create(url).resolve("/") + " (is the service running? bin/rollguard status)",
                    e);
        }
        String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return new UncheckedIOException(method + " " + url + ": " + why, e);
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
