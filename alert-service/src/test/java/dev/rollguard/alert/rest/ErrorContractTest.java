package dev.rollguard.alert.rest;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.alert.support.AlertTestResource;
import dev.rollguard.alert.support.Api;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.path.json.JsonPath;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every error of the service is the JSON {@code {code, message}} of docs/contracts.md. The write endpoints and their
 * request fields are read from the service's own OpenAPI document, so an endpoint or a field added later gets the
 * same wrong requests: malformed JSON, JSON of the wrong shape, each field (and each field of a nested object) with a
 * value of the wrong type, an empty body, a body over the limit (with a length and chunked), a wrong media type.
 * None may answer 5xx, anything but the JSON error, or a message naming Java types.
 */
@QuarkusTest
@QuarkusTestResource(AlertTestResource.class)
class ErrorContractTest {

    static final HttpClient HTTP =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static final ObjectMapper JSON = new ObjectMapper();
    static final List<String> WRITE_METHODS = List.of("post", "put", "patch", "delete");
    static final int OVER_THE_LIMIT = 2 * 1024 * 1024;

    record Endpoint(String method, String path, Map<String, Object> requestSchema) {
        URI uri() {
            return URI.create(RestAssured.baseURI + ":" + RestAssured.port + path.replaceAll("\\{[^}]+}", "1"));
        }

        @Override
        public String toString() {
            return method + " " + path;
        }
    }

    static JsonPath openapi() {
        return given().queryParam("format", "json")
                .get("/q/openapi")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> resolve(JsonPath openapi, Map<String, Object> schema) {
        if (schema == null) {
            return Map.of();
        }
        if (schema.get("$ref") instanceof String ref) {
            return openapi.getMap("components.schemas." + ref.substring(ref.lastIndexOf('/') + 1));
        }
        if (schema.get("allOf") instanceof List<?> all && !all.isEmpty()) {
            return resolve(openapi, (Map<String, Object>) all.get(0));
        }
        return schema;
    }

    @SuppressWarnings("unchecked")
    static List<Endpoint> writeEndpoints() {
        JsonPath openapi = openapi();
        Map<String, Map<String, Map<String, Object>>> paths = openapi.getMap("paths");
        List<Endpoint> endpoints = new ArrayList<>();
        paths.forEach((path, operations) -> operations.forEach((method, operation) -> {
            if (!WRITE_METHODS.contains(method)) {
                return;
            }
            Map<String, Object> schema = Map.of();
            if (operation.get("requestBody") instanceof Map<?, ?> body
                    && body.get("content") instanceof Map<?, ?> content
                    && content.get("application/json") instanceof Map<?, ?> json) {
                schema = resolve(openapi, (Map<String, Object>) json.get("schema"));
            }
            endpoints.add(new Endpoint(method.toUpperCase(Locale.ROOT), path, schema));
        }));
        return endpoints;
    }

    /** A JSON value of a type the property does not have; null when the schema says too little. */
    @SuppressWarnings("unchecked")
    static Object wrongValue(JsonPath openapi, Map<String, Object> property) {
        Map<String, Object> schema = resolve(openapi, property);
        Object type = schema.get("type");
        if (schema.containsKey("properties") || "object".equals(type)) {
            return "not an object";
        }
        if ("string".equals(type)) {
            return Map.of("not", "a string");
        }
        if ("number".equals(type) || "integer".equals(type)) {
            return "not a number";
        }
        if ("boolean".equals(type)) {
            return "maybe";
        }
        if ("array".equals(type)) {
            return Map.of("not", "an array");
        }
        return null;
    }

    static HttpResponse<String> send(Endpoint endpoint, String contentType, HttpRequest.BodyPublisher body)
            throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(endpoint.uri())
                        .header("Authorization", "Bearer " + Api.ADMIN_TOKEN)
                        .header("Content-Type", contentType)
                        .method(endpoint.method(), body)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> sendJson(Endpoint endpoint, String json) throws Exception {
        return send(endpoint, "application/json", HttpRequest.BodyPublishers.ofString(json));
    }

    /** A 4xx with the contract's JSON body, its message free of Java names. */
    static JsonPath assertJsonError(String what, HttpResponse<String> response) {
        assertThat(response.statusCode())
                .as(what + ": status, body " + response.body())
                .isBetween(400, 499);
        assertThat(response.headers().firstValue("Content-Type"))
                .as(what + ": content type")
                .hasValueSatisfying(type -> assertThat(type).startsWith("application/json"));
        JsonPath body = JsonPath.from(response.body());
        assertThat(body.getString("code"))
                .as(what + ": code in " + response.body())
                .matches("[A-Z_]+");
        assertThat(body.getString("message")).as(what + ": message").isNotBlank();
        assertThat(body.getString("message"))
                .as(what + ": no Java names in " + response.body())
                .doesNotContainPattern("(java|jakarta|com\\.fasterxml|io\\.vertx|dev\\.rollguard|org\\.[a-z]+)\\.")
                .doesNotContain("Exception")
                .doesNotContain("`");
        return body;
    }

    @Test
    void everyWriteEndpointAnswersWrongBodiesWithTheJsonError() throws Exception {
        List<Endpoint> endpoints = writeEndpoints();
        assertThat(endpoints)
                .extracting(Endpoint::toString)
                .contains(
                        "POST /api/rules",
                        "PUT /api/rules/{id}",
                        "DELETE /api/rules/{id}",
                        "POST /api/webhooks",
                        "PUT /api/webhooks/{id}",
                        "DELETE /api/webhooks/{id}",
                        "POST /api/webhooks/{id}/deliveries/{deliveryId}/redeliver");
        Map<String, String> wrongBodies = new LinkedHashMap<>();
        wrongBodies.put("malformed JSON", "{\"name\": ");
        wrongBodies.put("trailing garbage", "{} }");
        wrongBodies.put("a JSON array", "[]");
        wrongBodies.put("a JSON string", "\"rule\"");
        wrongBodies.put("a JSON number", "42");
        wrongBodies.put("null", "null");
        wrongBodies.put("no body", "");
        wrongBodies.put("an empty object", "{}");
        wrongBodies.put("a NUL in a field", "{\"name\": \"a\\u0000b\", \"url\": \"\\u0000\"}");
        wrongBodies.put("a NUL in a key", "{\"na\\u0000me\": 1}");
        byte[] large = ("{\"name\": \"" + "x".repeat(OVER_THE_LIMIT) + "\"}").getBytes(StandardCharsets.UTF_8);
        for (Endpoint endpoint : endpoints) {
            for (var wrong : wrongBodies.entrySet()) {
                assertJsonError(endpoint + " with " + wrong.getKey(), sendJson(endpoint, wrong.getValue()));
            }
            assertJsonError(
                    endpoint + " with text/plain",
                    send(endpoint, "text/plain", HttpRequest.BodyPublishers.ofString("{}")));
            HttpResponse<String> sized =
                    send(endpoint, "application/json", HttpRequest.BodyPublishers.ofByteArray(large));
            assertThat(assertJsonError(endpoint + " with a large body", sized).getString("code"))
                    .isEqualTo("PAYLOAD_TOO_LARGE");
            HttpResponse<String> chunked = send(
                    endpoint,
                    "application/json",
                    HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(large)));
            JsonPath chunkedError = assertJsonError(endpoint + " with a large chunked body", chunked);
            // An endpoint without a request body never reads one, and answers as it would without it.
            if (!endpoint.requestSchema().isEmpty()) {
                assertThat(chunkedError.getString("code")).isEqualTo("PAYLOAD_TOO_LARGE");
            }
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void eachRequestFieldOfTheWrongTypeIsNamedWithoutJavaTypes() throws Exception {
        JsonPath openapi = openapi();
        int checked = 0;
        for (Endpoint endpoint : writeEndpoints()) {
            Map<String, Map<String, Object>> properties =
                    (Map<String, Map<String, Object>>) endpoint.requestSchema().getOrDefault("properties", Map.of());
            for (var property : properties.entrySet()) {
                List<Map.Entry<String, Object>> cases = new ArrayList<>();
                Object wrong = wrongValue(openapi, property.getValue());
                if (wrong != null) {
                    cases.add(Map.entry(property.getKey(), Map.of(property.getKey(), wrong)));
                }
                Map<String, Object> nested = resolve(openapi, property.getValue());
                Map<String, Map<String, Object>> nestedProperties =
                        (Map<String, Map<String, Object>>) nested.getOrDefault("properties", Map.of());
                for (var sub : nestedProperties.entrySet()) {
                    Object wrongSub = wrongValue(openapi, sub.getValue());
                    if (wrongSub != null) {
                        cases.add(Map.entry(
                                property.getKey() + "." + sub.getKey(),
                                Map.of(property.getKey(), Map.of(sub.getKey(), wrongSub))));
                    }
                }
                for (var c : cases) {
                    String json = JSON.writeValueAsString(c.getValue());
                    JsonPath error = assertJsonError(endpoint + " " + json, sendJson(endpoint, json));
                    if (!endpoint.method().equals("DELETE")) {
                        assertThat(error.getString("code")).isEqualTo("VALIDATION_FAILED");
                        assertThat(error.getString("message"))
                                .as(endpoint + " " + json)
                                .contains("'" + c.getKey() + "'")
                                .contains("must be");
                    }
                    checked++;
                }
            }
        }
        assertThat(checked).as("fields checked").isGreaterThan(20);
        JsonPath threshold = assertJsonError(
                "threshold as a string",
                sendJson(
                        new Endpoint("POST", "/api/rules", Map.of()),
                        "{\"name\": \"n\", \"metric\": \"errorRate\", \"comparator\": \"GT\","
                                + " \"critical\": {\"threshold\": \"high\"}}"));
        assertThat(threshold.getString("message")).isEqualTo("field 'critical.threshold' must be a number");
    }

    @Test
    void aNullEntryInAListOrAnInvalidLabelNameIsRefusedInAnOtherwiseValidBody() throws Exception {
        Endpoint rules = new Endpoint("POST", "/api/rules", Map.of());
        String rule =
                """
                {"name": "Errors", "metric": "errorRate", "comparator": "GT", "critical": {"threshold": 0.1},
                 "scope": {"types": %s}, "labels": {%s: "sync"}}""";
        assertThat(sendJson(rules, rule.formatted("[\"TABLE\"]", "\"team\"")).statusCode())
                .as("the valid body")
                .isEqualTo(201);
        JsonPath nullType = assertJsonError("a null scope type", sendJson(rules, rule.formatted("[null]", "\"team\"")));
        assertThat(nullType.getString("code")).isEqualTo("VALIDATION_FAILED");
        // Alertmanager refuses an alert whose label names are not Prometheus label names.
        JsonPath label = assertJsonError(
                "a label name with a hyphen", sendJson(rules, rule.formatted("[\"TABLE\"]", "\"team-name\"")));
        assertThat(label.getString("code")).isEqualTo("VALIDATION_FAILED");
        assertThat(label.getString("message")).contains("Prometheus label name");

        Endpoint webhooks = new Endpoint("POST", "/api/webhooks", Map.of());
        JsonPath nullSeverity = assertJsonError(
                "a null severity",
                sendJson(webhooks, "{\"name\": \"n\", \"url\": \"http://127.0.0.1:1/x\", \"severities\": [null]}"));
        assertThat(nullSeverity.getString("code")).isEqualTo("VALIDATION_FAILED");
    }

    @Test
    void unknownPathsAndWrongMethodsAnswerTheJsonError() throws Exception {
        for (String path : List.of("/api/no-such-thing", "/nothing/here", "/api/rules/a/b/c")) {
            HttpResponse<String> unknown =
                    send(new Endpoint("GET", path, Map.of()), "application/json", HttpRequest.BodyPublishers.noBody());
            assertThat(assertJsonError(path, unknown).getString("code")).isEqualTo("NOT_FOUND");
            assertThat(unknown.statusCode()).isEqualTo(404);
        }
        for (String path : List.of(
                "/api/alerts?view=history&before=yesterday",
                "/api/silences?limit=ten",
                "/api/webhooks/w/deliveries?limit=1.5")) {
            HttpResponse<String> unreadable =
                    send(new Endpoint("GET", path, Map.of()), "application/json", HttpRequest.BodyPublishers.noBody());
            assertThat(assertJsonError(path, unreadable).getString("code")).isEqualTo("INVALID_PARAMETER");
            assertThat(unreadable.statusCode()).as(path).isEqualTo(400);
        }
        for (String call : List.of("PATCH /api/rules", "DELETE /api/rules", "PATCH /api/rules/x", "PUT /api/alerts")) {
            String[] parts = call.split(" ");
            HttpResponse<String> wrong = send(
                    new Endpoint(parts[0], parts[1], Map.of()),
                    "application/json",
                    HttpRequest.BodyPublishers.ofString("{}"));
            assertThat(assertJsonError(call, wrong).getString("code")).isEqualTo("METHOD_NOT_ALLOWED");
            assertThat(wrong.statusCode()).isEqualTo(405);
        }
    }
}
