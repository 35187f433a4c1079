package dev.rollguard.ingest.rest;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.infra.InfraTestResource;
import dev.rollguard.ingest.TestTokens;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
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
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every error of the service is the JSON {@code {code, message}} of docs/contracts.md. The write endpoints are read
 * from the service's own OpenAPI document, so an endpoint added later gets the same wrong requests: malformed JSON,
 * JSON of the wrong shape, an empty body, a NUL, a body over the limit (with a length and chunked), a wrong media
 * type. None may answer 5xx or anything but the JSON error.
 */
@QuarkusTest
@QuarkusTestResource(
        value = InfraTestResource.class,
        initArgs = @ResourceArg(name = InfraTestResource.KAFKA_STREAMS, value = "true"))
class ErrorContractTest {

    static final HttpClient HTTP =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static final List<String> WRITE_METHODS = List.of("post", "put", "patch", "delete");
    static final int OVER_THE_LIMIT = 3 * 1024 * 1024;

    record Endpoint(String method, String path) {
        URI uri() {
            return URI.create(RestAssured.baseURI + ":" + RestAssured.port + path.replaceAll("\\{[^}]+}", "1"));
        }
    }

    static List<Endpoint> writeEndpoints() {
        JsonPath openapi = given().queryParam("format", "json")
                .get("/q/openapi")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        Map<String, Map<String, Object>> paths = openapi.getMap("paths");
        List<Endpoint> endpoints = new ArrayList<>();
        paths.forEach((path, operations) -> operations.keySet().stream()
                .filter(WRITE_METHODS::contains)
                .forEach(method -> endpoints.add(new Endpoint(method.toUpperCase(Locale.ROOT), path))));
        return endpoints;
    }

    static HttpResponse<String> send(Endpoint endpoint, String contentType, HttpRequest.BodyPublisher body)
            throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(endpoint.uri())
                        .header("Authorization", TestTokens.ADMIN)
                        .header("Content-Type", contentType)
                        .method(endpoint.method(), body)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** A 4xx with the contract's JSON body, its message free of Java names. */
    static void assertJsonError(String what, HttpResponse<String> response) {
        assertThat(response.statusCode()).as(what + ": status").isBetween(400, 499);
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
                .doesNotContainPattern("(java|jakarta|com\\.fasterxml|io\\.vertx|org\\.[a-z]+)\\.")
                .doesNotContain("Exception");
    }

    @Test
    void everyWriteEndpointAnswersWrongRequestsWithTheJsonError() throws Exception {
        List<Endpoint> endpoints = writeEndpoints();
        assertThat(endpoints).contains(new Endpoint("POST", "/api/telemetry"));
        Map<String, String> wrongBodies = Map.of(
                "malformed JSON", "{\"events\": [",
                "a JSON array", "[]",
                "a JSON string", "\"events\"",
                "a JSON number", "42",
                "no body", "",
                "the wrong shape", "{\"events\": {\"type\": \"sync\"}}",
                "a NUL outside any event", "{\"events\": \"\\u0000\"}");
        for (Endpoint endpoint : endpoints) {
            for (var wrong : wrongBodies.entrySet()) {
                assertJsonError(
                        endpoint + " with " + wrong.getKey(),
                        send(endpoint, "application/json", HttpRequest.BodyPublishers.ofString(wrong.getValue())));
            }
            assertJsonError(
                    endpoint + " with text/plain",
                    send(endpoint, "text/plain", HttpRequest.BodyPublishers.ofString("{\"events\": []}")));
            byte[] large = ("{\"events\": [], \"padding\": \"" + "x".repeat(OVER_THE_LIMIT) + "\"}")
                    .getBytes(StandardCharsets.UTF_8);
            HttpResponse<String> sized =
                    send(endpoint, "application/json", HttpRequest.BodyPublishers.ofByteArray(large));
            assertJsonError(endpoint + " with a large body", sized);
            assertThat(sized.statusCode()).isEqualTo(413);
            HttpResponse<String> chunked = send(
                    endpoint,
                    "application/json",
                    HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(large)));
            assertJsonError(endpoint + " with a large chunked body", chunked);
            assertThat(chunked.statusCode()).isEqualTo(413);
            assertThat(JsonPath.from(chunked.body()).getString("code")).isEqualTo("PAYLOAD_TOO_LARGE");
        }
    }

    @Test
    void unknownPathsAndWrongMethodsAnswerTheJsonError() throws Exception {
        HttpResponse<String> unknown = send(
                new Endpoint("GET", "/api/no-such-thing"), "application/json", HttpRequest.BodyPublishers.noBody());
        assertJsonError("unknown path", unknown);
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(JsonPath.from(unknown.body()).getString("code")).isEqualTo("NOT_FOUND");
        HttpResponse<String> outsideApi =
                send(new Endpoint("GET", "/nothing/here"), "application/json", HttpRequest.BodyPublishers.noBody());
        assertJsonError("unknown path outside /api", outsideApi);
        assertThat(outsideApi.statusCode()).isEqualTo(404);
        for (String method : List.of("GET", "PUT", "DELETE", "PATCH")) {
            HttpResponse<String> wrong = send(
                    new Endpoint(method, "/api/telemetry"), "application/json", HttpRequest.BodyPublishers.noBody());
            assertJsonError(method + " /api/telemetry", wrong);
            assertThat(wrong.statusCode()).as(method).isEqualTo(405);
            assertThat(JsonPath.from(wrong.body()).getString("code")).isEqualTo("METHOD_NOT_ALLOWED");
        }
    }
}
