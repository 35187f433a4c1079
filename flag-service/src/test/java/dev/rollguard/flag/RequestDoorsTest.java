package dev.rollguard.flag;

import static dev.rollguard.flag.Api.admin;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;

/**
 * Every door of the admin and evaluation APIs: wrong-shaped bodies sent to every write endpoint (found in the
 * service's own OpenAPI document, so a new endpoint is covered without being listed here), control characters in
 * every text a client can send, headers longer than the columns that keep them, chunked bodies over the limit,
 * unknown paths and methods. Every refusal is a 4xx with a JSON {code, message} and nothing is stored.
 */
@QuarkusTest
@QuarkusTestResource(FlagServiceInfra.class)
class RequestDoorsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern JAVA_NAME =
            Pattern.compile("java\\.|jakarta\\.|com\\.fasterxml|Exception|\\bclass\\b");
    private static final String NUL = "\u0000";

    /** A request shape no write endpoint accepts, with the body that carries it. */
    private record Shape(String name, String contentType, String body) {}

    @Test
    void everyWriteEndpointAnswersEveryWrongShapeWithAJsonError() throws Exception {
        String key = Api.key("doors");
        Api.create(Map.of("key", key, "enabled", true, "rolloutPercentage", 10));
        JsonNode openApi = JSON.readTree(
                given().accept("application/json").get("/q/openapi").asString());
        List<String> operations = new ArrayList<>();
        SoftAssertions softly = new SoftAssertions();

        for (Iterator<Map.Entry<String, JsonNode>> paths = openApi.path("paths").fields(); paths.hasNext(); ) {
            Map.Entry<String, JsonNode> path = paths.next();
            for (String method : List.of("post", "put", "patch", "delete")) {
                JsonNode operation = path.getValue().get(method);
                if (operation == null) {
                    continue;
                }
                String template = path.getKey();
                operations.add(method.toUpperCase() + " " + template);
                String url = template.replace("{key}", key).replace("{name}", Api.key("no-such-token"));
                if (operation.has("requestBody")) {
                    for (Shape shape : wrongShapes(openApi, operation)) {
                        Response response = given().header("Authorization", "Bearer " + Api.ADMIN)
                                .header("If-Match", "\"1\"")
                                .contentType(shape.contentType())
                                .body(shape.body())
                                .request(method.toUpperCase(), url);
                        expectJsonError(softly, method + " " + template + " with " + shape.name(), response);
                    }
                    HttpResponse<String> chunked = chunked(method.toUpperCase(), url, 1_100_000);
                    softly.assertThat(chunked.statusCode())
                            .as(method + " " + template + " chunked over 1 MB")
                            .isEqualTo(413);
                    softly.assertThat(JSON.readTree(chunked.body()).path("code").asText())
                            .as(method + " " + template + " chunked over 1 MB")
                            .isEqualTo("PAYLOAD_TOO_LARGE");
                }
                // The evaluation endpoints store nothing of a request, so they ignore these headers.
                if (!template.startsWith("/ofrep/") && (operation.has("requestBody") || "delete".equals(method))) {
                    for (String header : List.of("Idempotency-Key", "X-Rollguard-Actor")) {
                        Response tooLong = admin().header(header, "k".repeat(201))
                                .header("If-Match", "\"1\"")
                                .body("{}")
                                .request(method.toUpperCase(), url);
                        expectJsonError(softly, method + " " + template + " with a long " + header, tooLong);
                    }
                }
            }
        }
        softly.assertAll();

        assertThat(operations)
                .contains(
                        "POST /api/flags",
                        "PATCH /api/flags/{key}",
                        "DELETE /api/flags/{key}",
                        "POST /api/flags/{key}/kill",
                        "POST /api/flags/{key}/unkill",
                        "POST /api/flags/{key}/stage",
                        "POST /api/flags/{key}/pause",
                        "POST /api/flags/{key}/resume",
                        "POST /api/kill-switch",
                        "DELETE /api/kill-switch",
                        "POST /api/tokens",
                        "DELETE /api/tokens/{name}",
                        "POST /ofrep/v1/evaluate/flags/{key}",
                        "POST /ofrep/v1/evaluate/flags");
        // Nothing of all that changed the flag (version 1) or switched the environment off.
        admin().get("/api/flags/" + key).then().statusCode(200).body("version", equalTo(1));
        admin().get("/api/kill-switch").then().body("killed", equalTo(false));
    }

    /** One request of each wrong shape for {@code operation}, the typed fields from its request schema. */
    private static List<Shape> wrongShapes(JsonNode openApi, JsonNode operation) {
        List<Shape> shapes = new ArrayList<>(List.of(
                new Shape("a string", "application/json", "\"a string\""),
                new Shape("an array", "application/json", "[1, 2]"),
                new Shape("a number", "application/json", "42"),
                new Shape("malformed JSON", "application/json", "{\"reason\": "),
                new Shape("truncated JSON", "application/json", "{\"key\": \"x\", \"stages\": [{\"name\""),
                new Shape("a body and text after it", "application/json", "{\"reason\": \"closing time\"} xyz"),
                new Shape("two bodies", "application/json", "{\"reason\": \"closing time\"} {\"reason\": \"again\"}"),
                new Shape("text, not JSON", "text/plain", "reason=because"),
                new Shape("every field of the wrong type", "application/json", wrongTypes(openApi, operation))));
        return shapes;
    }

    /** An object whose every property has a JSON type its schema does not allow (an unknown value for enums). */
    private static String wrongTypes(JsonNode openApi, JsonNode operation) {
        JsonNode schema = resolve(
                openApi,
                operation.path("requestBody").path("content").elements().next().path("schema"));
        ObjectNode body = JSON.createObjectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it =
                        schema.path("properties").fields();
                it.hasNext(); ) {
            Map.Entry<String, JsonNode> property = it.next();
            JsonNode type = resolve(openApi, property.getValue());
            if (type.has("enum")) {
                body.put(property.getKey(), "NO_SUCH_VALUE");
                continue;
            }
            switch (type.path("type").asText("object")) {
                case "string" -> body.put(property.getKey(), 5);
                case "boolean" -> body.put(property.getKey(), 5);
                case "integer", "number" -> body.put(property.getKey(), "five");
                case "array" -> body.put(property.getKey(), "not a list");
                default -> body.put(property.getKey(), "not an object");
            }
        }
        if (body.isEmpty()) {
            body.put("context", 5);
        }
        return body.toString();
    }

    private static JsonNode resolve(JsonNode openApi, JsonNode schema) {
        String ref = schema.path("$ref").asText(null);
        if (ref == null && schema.has("allOf")) {
            ref = schema.path("allOf").get(0).path("$ref").asText(null);
        }
        if (ref == null) {
            return schema;
        }
        JsonNode target = openApi;
        for (String part : ref.substring(2).split("/")) {
            target = target.path(part);
        }
        return target;
    }

    private static void expectJsonError(SoftAssertions softly, String what, Response response) {
        softly.assertThat(response.statusCode()).as(what).isBetween(400, 499);
        softly.assertThat(response.contentType()).as(what).startsWith("application/json");
        JsonNode body;
        try {
            body = JSON.readTree(response.asString());
        } catch (IOException e) {
            softly.fail(what + ": body is not JSON: " + response.asString());
            return;
        }
        softly.assertThat(body.path("code").isTextual())
                .as(what + " code in " + body)
                .isTrue();
        softly.assertThat(body.path("message").isTextual())
                .as(what + " message in " + body)
                .isTrue();
        softly.assertThat(body.path("message").asText()).as(what).doesNotContainPattern(JAVA_NAME);
    }

    private static HttpResponse<String> chunked(String method, String path, int size) throws Exception {
        byte[] bytes = new byte[size];
        java.util.Arrays.fill(bytes, (byte) ' ');
        bytes[0] = '{';
        bytes[size - 1] = '}';
        return chunked(method, path, bytes);
    }

    /** A request whose body has no Content-Length (sent chunked). */
    private static HttpResponse<String> chunked(String method, String path, byte[] body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + RestAssured.port + path))
                .header("Authorization", "Bearer " + Api.ADMIN)
                .header("Content-Type", "application/json")
                .header("If-Match", "\"1\"")
                .method(method, HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)))
                .build();
        return HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .build()
                .send(request, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aDeleteWithoutABodyOrLengthIsServed() throws Exception {
        // As the console's HTTP client sends it: no Content-Length, no Transfer-Encoding, no body, and over HTTP/2
        // after an h2c upgrade (the JDK client's default).
        String key = Api.key("bodiless");
        Api.create(Map.of("key", key, "enabled", true));
        HttpRequest request = HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + RestAssured.port + "/api/flags/" + key + "?reason=retired"))
                .header("Authorization", "Bearer " + Api.ADMIN)
                .DELETE()
                .build();
        HttpResponse<String> deleted = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(deleted.statusCode()).as(deleted.body()).isLessThan(300);
        String other = Api.key("bodiless");
        Api.create(Map.of("key", other, "enabled", true));
        HttpRequest overHttp11 = HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + RestAssured.port + "/api/flags/" + other + "?reason=retired"))
                .header("Authorization", "Bearer " + Api.ADMIN)
                .DELETE()
                .build();
        HttpResponse<String> deleted11 = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .build()
                .send(overHttp11, HttpResponse.BodyHandlers.ofString());
        assertThat(deleted11.statusCode()).as(deleted11.body()).isLessThan(300);
    }

    @Test
    void aChunkedBodyWithinTheLimitIsServed() throws Exception {
        String key = Api.key("chunked");
        HttpResponse<String> created =
                chunked("POST", "/api/flags", ("{\"key\": \"" + key + "\"}").getBytes(StandardCharsets.UTF_8));
        assertThat(created.statusCode()).isEqualTo(201);
        admin().get("/api/flags/" + key).then().statusCode(200);
    }

    @Test
    void aControlCharacterInAnyTextIsRefusedNamingTheFieldAndNothingIsStored() {
        String key = Api.key("clean");
        Api.create(Map.of("key", key, "enabled", true, "type", "STRING", "variants", Map.of("on", "a", "off", "b")));
        String parentless = Api.key("never-created");
        String flag = "/api/flags/" + key;

        Map<String, Map<String, Object>> creates = new LinkedHashMap<>();
        creates.put("key", Map.of("key", "a" + NUL + "b"));
        creates.put("description", Map.of("key", parentless, "description", "ok" + NUL));
        creates.put("owner", Map.of("key", parentless, "owner", "team\u001b[31m"));
        creates.put("parent", Map.of("key", parentless, "parent", key + NUL));
        creates.put("allowList[1]", Map.of("key", parentless, "allowList", List.of("u1", "u2" + NUL)));
        creates.put("denyList[0]", Map.of("key", parentless, "denyList", List.of("u\u007f")));
        creates.put(
                "variants[o\\u0000n]",
                Map.of("key", parentless, "type", "STRING", "variants", Map.of("o" + NUL + "n", "a", "off", "b")));
        creates.put(
                "variants[on]",
                Map.of(
                        "key",
                        parentless,
                        "type",
                        "JSON",
                        "variants",
                        Map.of("on", Map.of("list", List.of("x" + NUL)), "off", Map.of())));
        creates.put("treatmentVariant", Map.of("key", parentless, "treatmentVariant", "on\u0085"));
        creates.put("offVariant", Map.of("key", parentless, "offVariant", "off" + NUL));
        creates.put(
                "stages[0].name",
                Map.of("key", parentless, "stages", List.of(Map.of("name", "canary" + NUL, "percentage", 5))));
        creates.forEach((field, body) -> refused(field, admin().body(body).post("/api/flags")));
        admin().get("/api/flags/" + parentless).then().statusCode(404);

        refused(
                "description",
                admin().header("If-Match", "\"1\"")
                        .contentType("application/merge-patch+json")
                        .body(Map.of("description", NUL))
                        .patch(flag));
        for (String action : List.of("kill", "unkill", "pause", "resume")) {
            refused("reason", admin().body(Map.of("reason", "why" + NUL)).post(flag + "/" + action));
        }
        refused(
                "reason",
                admin().body(Map.of("action", "advance", "reason", NUL)).post(flag + "/stage"));
        refused("action", admin().body(Map.of("action", "advance" + NUL)).post(flag + "/stage"));
        refused(
                "reason",
                admin().body(Map.of("reason", "lone \ud800 surrogate")).post(flag + "/kill"));
        refused("reason", admin().urlEncodingEnabled(false).delete(flag + "?reason=a%00b"));
        refused("key", admin().urlEncodingEnabled(false).get("/api/flags/a%00b"));
        refused("actor", admin().urlEncodingEnabled(false).get("/api/audit?actor=a%00b"));
        refused("reason", admin().body(Map.of("reason", "global" + NUL)).post("/api/kill-switch"));
        refused("reason", admin().urlEncodingEnabled(false).delete("/api/kill-switch?reason=%00"));
        refused(
                "name",
                admin().body(Map.of("name", "ci" + NUL, "kind", "CLIENT")).post("/api/tokens"));
        refused("name", admin().urlEncodingEnabled(false).delete("/api/tokens/a%00b"));

        admin().get(flag).then().body("version", equalTo(1)).body("killed", equalTo(false));
        admin().queryParam("flag", key).get("/api/audit").then().body("size()", equalTo(1));
        admin().get("/api/kill-switch").then().body("killed", equalTo(false));
    }

    @Test
    void freeTextKeepsTabsAndLineBreaksWhereNamesDoNot() {
        String key = Api.key("lines");
        Api.create(Map.of("key", key, "description", "first line\nsecond line\twith a tab\r\n"));
        admin().get("/api/flags/" + key).then().body("description", equalTo("first line\nsecond line\twith a tab\r\n"));
        admin().body(Map.of("reason", "INC-1\nrolled back"))
                .post("/api/flags/" + key + "/kill")
                .then()
                .statusCode(200);
        admin().queryParam("flag", key).get("/api/audit").then().body("[0].reason", equalTo("INC-1\nrolled back"));
        refused(
                "owner",
                admin().body(Map.of("key", Api.key("owner"), "owner", "two\nlines"))
                        .post("/api/flags"));
    }

    @Test
    void controlCharactersInTheStoredHeadersAreRefused() throws IOException {
        String key = Api.key("headers");
        Api.create(Map.of("key", key));
        for (String header : List.of("Idempotency-Key", "X-Rollguard-Actor")) {
            // A tab and C1 controls pass the HTTP layer and are refused by the service, naming the header.
            for (String bad : List.of("a\tb", "a\u0085b")) {
                String answer = kill(key, header, bad);
                assertThat(answer)
                        .as(header + " with U+%04X", bad.codePointAt(1))
                        .startsWith("HTTP/1.1 400");
                assertThat(answer).contains("application/json").contains("\"code\":\"INVALID_CHARACTER\"");
                assertThat(answer).contains(header);
            }
            // NUL and the other C0 controls are refused by the HTTP layer before the service sees the request.
            for (String bad : List.of("a\u0000b", "a\u0001b")) {
                assertThat(kill(key, header, bad)).as(header).startsWith("HTTP/1.1 400");
            }
        }
        admin().get("/api/flags/" + key).then().body("killed", equalTo(false)).body("version", equalTo(1));
        admin().queryParam("flag", key).get("/api/audit").then().body("size()", equalTo(1));
    }

    private static String kill(String key, String header, String value) throws IOException {
        return raw("POST /api/flags/" + key + "/kill HTTP/1.1\r\n"
                + "Host: 127.0.0.1\r\n"
                + "Authorization: Bearer " + Api.ADMIN + "\r\n"
                + "Content-Type: application/json\r\n"
                + header + ": " + value + "\r\n"
                + "Content-Length: 16\r\n"
                + "Connection: close\r\n\r\n"
                + "{\"reason\": \"r\"}\n");
    }

    @Test
    void headersLongerThanTheirColumnsAre400AndTheLongestThatFitsIsKept() {
        String key = Api.key("long-headers");
        Api.create(Map.of("key", key, "enabled", true));
        for (String header : List.of("Idempotency-Key", "X-Rollguard-Actor")) {
            admin().header(header, "k".repeat(201))
                    .body(Map.of("reason", "r"))
                    .post("/api/flags/" + key + "/kill")
                    .then()
                    .statusCode(400)
                    .contentType(ContentType.JSON)
                    .body("code", equalTo("VALIDATION_FAILED"))
                    .body("message", containsString(header))
                    .body("violations[0].field", equalTo(header));
        }
        admin().get("/api/flags/" + key).then().body("killed", equalTo(false));

        String actor = "a".repeat(200);
        String idempotencyKey = "i".repeat(200);
        admin().header("X-Rollguard-Actor", actor)
                .header("Idempotency-Key", idempotencyKey)
                .body(Map.of("reason", "r"))
                .post("/api/flags/" + key + "/kill")
                .then()
                .statusCode(200)
                .body("updatedBy", equalTo(actor));
        admin().queryParam("flag", key)
                .get("/api/audit")
                .then()
                .body("[0].actor", equalTo(actor))
                .body("[0].idempotencyKey", equalTo(idempotencyKey));
    }

    @Test
    void wrongJsonTypesNameTheFieldInJsonTerms() {
        admin().body("{\"key\": \"" + Api.key("typed") + "\", \"enabled\": 1}")
                .post("/api/flags")
                .then()
                .statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED"))
                .body("violations[0].field", equalTo("enabled"))
                .body("violations[0].message", equalTo("must be true or false"));
        admin().body("{\"key\": \"" + Api.key("typed") + "\", \"stages\": [{\"name\": \"a\", \"percentage\": \"x\"}]}")
                .post("/api/flags")
                .then()
                .statusCode(400)
                .body("violations[0].field", equalTo("stages[0].percentage"))
                .body("violations[0].message", equalTo("must be a number"));
        admin().body("{\"key\": \"" + Api.key("typed") + "\", \"guardPolicy\": {\"action\": \"EXPLODE\"}}")
                .post("/api/flags")
                .then()
                .statusCode(400)
                .body("violations[0].field", equalTo("guardPolicy.action"))
                .body("message", containsString("KILL"));
        admin().body("{\"name\": \"t\", \"kind\": \"CLIENT\", \"requestsPerSecond\": 1.5}")
                .post("/api/tokens")
                .then()
                .statusCode(400)
                .body("message", equalTo("requestsPerSecond must be a whole number"));
        admin().body("{\"key\": ")
                .post("/api/flags")
                .then()
                .statusCode(400)
                .body("code", equalTo("MALFORMED_JSON"))
                .body("message", equalTo("the body is not valid JSON (line 1, column 9)"));
        // One JSON value, nothing after it.
        String key = Api.key("trailing");
        admin().body("{\"key\": \"" + key + "\"} xyz")
                .post("/api/flags")
                .then()
                .statusCode(400)
                .body("code", equalTo("MALFORMED_JSON"));
        admin().body("{\"key\": \"" + key + "\"} {\"key\": \"" + key + "-2\"}")
                .post("/api/flags")
                .then()
                .statusCode(400)
                .body("code", equalTo("MALFORMED_JSON"))
                .body("message", containsString("more content follows its value"));
        admin().get("/api/flags/" + key).then().statusCode(404);
        Api.create(Map.of("key", key));
        admin().header("If-Match", "\"1\"")
                .body("{\"description\": \"edited\"} {}")
                .patch("/api/flags/" + key)
                .then()
                .statusCode(400)
                .body("code", equalTo("MALFORMED_JSON"));
        admin().get("/api/flags/" + key).then().body("version", equalTo(1));
        // Each key once: a reader would otherwise keep the last, a change the client may not have meant.
        String repeated = Api.key("repeated");
        admin().body("{\"key\": \"" + repeated + "\", \"enabled\": false, \"enabled\": true}")
                .post("/api/flags")
                .then()
                .statusCode(400)
                .body("code", equalTo("MALFORMED_JSON"))
                .body("message", startsWith("the body is not valid JSON: the key 'enabled' appears twice (line 1,"));
        admin().get("/api/flags/" + repeated).then().statusCode(404);
        admin().header("If-Match", "\"1\"")
                .contentType("application/merge-patch+json")
                .body("{\"guardPolicy\": {\"dryRun\": true, \"dryRun\": false}}")
                .patch("/api/flags/" + key)
                .then()
                .statusCode(400)
                .body("code", equalTo("MALFORMED_JSON"))
                .body("message", containsString("the key 'dryRun' appears twice"));
        admin().get("/api/flags/" + key).then().body("version", equalTo(1));
        admin().body("").post("/api/flags").then().statusCode(400).body("violations[0].field", equalTo("body"));
        admin().get("/api/audit?limit=ten").then().statusCode(400).body("violations[0].field", equalTo("limit"));
    }

    @Test
    void unknownPathsAndMethodsAnswerJson() {
        given().get("/no/such/path")
                .then()
                .statusCode(404)
                .contentType(ContentType.JSON)
                .body("code", equalTo("NOT_FOUND"));
        admin().put("/api/flags")
                .then()
                .statusCode(405)
                .contentType(ContentType.JSON)
                .body("code", equalTo("METHOD_NOT_ALLOWED"));
        admin().accept("text/plain")
                .get("/api/flags")
                .then()
                .statusCode(406)
                .contentType(ContentType.JSON)
                .body("code", equalTo("NOT_ACCEPTABLE"));
    }

    private static void refused(String field, Response response) {
        response.then()
                .statusCode(400)
                .contentType(ContentType.JSON)
                .body("code", equalTo("INVALID_CHARACTER"))
                .body("message", containsString(field));
    }

    /** Sends {@code request} as it is, for headers an HTTP client library would refuse to send. */
    private static String raw(String request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", RestAssured.port)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
