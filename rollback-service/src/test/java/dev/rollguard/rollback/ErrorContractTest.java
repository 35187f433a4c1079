package dev.rollguard.rollback;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.infra.InfraTestResource;
import dev.rollguard.rollback.testing.Api;
import dev.rollguard.rollback.testing.FakeFlagServiceResource;
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
 * Every error of the service is the JSON {@code {code, message}} of docs/contracts.md. The service's paths and write
 * endpoints are read from its own OpenAPI document, so one added later gets the same wrong requests; today the API
 * only reads, so every write method is a JSON 405, whatever the body. Parameters with a control character are
 * refused before they reach a query.
 */
@QuarkusTest
@QuarkusTestResource(
        value = InfraTestResource.class,
        initArgs = @ResourceArg(name = InfraTestResource.DATABASE, value = "rollguard_rollbacks"))
@QuarkusTestResource(FakeFlagServiceResource.class)
class ErrorContractTest {

    static final HttpClient HTTP =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static final List<String> WRITE_METHODS = List.of("POST", "PUT", "PATCH", "DELETE");
    static final int OVER_THE_LIMIT = 2 * 1024 * 1024;

    /** Every (method, path) of the OpenAPI document. */
    static List<String[]> operations() {
        JsonPath openapi = given().queryParam("format", "json")
                .get("/q/openapi")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        Map<String, Map<String, Object>> paths = openapi.getMap("paths");
        List<String[]> operations = new ArrayList<>();
        paths.forEach((path, ops) ->
                ops.keySet().forEach(method -> operations.add(new String[] {method.toUpperCase(Locale.ROOT), path})));
        return operations;
    }

    static URI uri(String path) {
        return URI.create(RestAssured.baseURI + ":" + RestAssured.port + path.replaceAll("\\{[^}]+}", "1"));
    }

    static HttpResponse<String> send(String method, String path, HttpRequest.BodyPublisher body) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(uri(path))
                        .header("Authorization", "Bearer " + Api.ADMIN_TOKEN)
                        .header("Content-Type", "application/json")
                        .method(method, body)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
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
                .doesNotContain("Exception");
        return body;
    }

    @Test
    void everyWriteRequestGetsTheJsonErrorWhateverItsBody() throws Exception {
        List<String[]> operations = operations();
        assertThat(operations).extracting(op -> op[0] + " " + op[1]).contains("GET /api/rollbacks");
        List<String> paths = operations.stream().map(op -> op[1]).distinct().toList();
        List<String> bodies = List.of("{\"flag\": ", "[]", "\"x\"", "", "{\"flag\": \"\\u0000\"}", "{\"limit\": {}}");
        byte[] large = ("{\"x\": \"" + "x".repeat(OVER_THE_LIMIT) + "\"}").getBytes(StandardCharsets.UTF_8);
        for (String path : paths) {
            for (String method : WRITE_METHODS) {
                String what = method + " " + path;
                boolean declared = operations.stream().anyMatch(op -> op[0].equals(method) && op[1].equals(path));
                for (String body : bodies) {
                    HttpResponse<String> response = send(method, path, HttpRequest.BodyPublishers.ofString(body));
                    JsonPath error = assertJsonError(what + " with " + body, response);
                    if (!declared) {
                        assertThat(error.getString("code")).isEqualTo("METHOD_NOT_ALLOWED");
                    }
                }
                HttpResponse<String> sized = send(method, path, HttpRequest.BodyPublishers.ofByteArray(large));
                assertThat(assertJsonError(what + " with a large body", sized).getString("code"))
                        .isEqualTo("PAYLOAD_TOO_LARGE");
                assertJsonError(
                        what + " with a large chunked body",
                        send(
                                method,
                                path,
                                HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(large))));
            }
        }
    }

    @Test
    void unknownPathsAnswerTheJsonError() throws Exception {
        for (String path : List.of("/api/no-such-thing", "/nothing/here", "/api/rollbacks/a/b")) {
            HttpResponse<String> response = send("GET", path, HttpRequest.BodyPublishers.noBody());
            assertThat(assertJsonError(path, response).getString("code")).isEqualTo("NOT_FOUND");
            assertThat(response.statusCode()).isEqualTo(404);
        }
    }

    @Test
    void parametersWithAControlCharacterAreRefusedBeforeAnyQuery() {
        for (String query : List.of("flag=a%00b", "outcome=%00", "limit=%1b", "flag=%C2%85")) {
            Api.asAdmin()
                    .urlEncodingEnabled(false)
                    .get("/api/rollbacks?" + query)
                    .then()
                    .statusCode(400)
                    .contentType("application/json")
                    .body("code", org.hamcrest.Matchers.equalTo("INVALID_CHARACTER"))
                    .body("violations[0].field", org.hamcrest.Matchers.equalTo(query.substring(0, query.indexOf('='))));
        }
        Api.asAdmin()
                .urlEncodingEnabled(false)
                .get("/api/rollbacks/fp%00x:1")
                .then()
                .statusCode(400)
                .body("code", org.hamcrest.Matchers.equalTo("INVALID_CHARACTER"))
                .body("violations[0].field", org.hamcrest.Matchers.equalTo("id"));
    }
}
