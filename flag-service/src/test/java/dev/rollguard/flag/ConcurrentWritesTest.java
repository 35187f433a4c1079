package dev.rollguard.flag;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Writes sent at the same moment that a check-then-write would let both through: each must leave the data as one of
 * them alone would, and the other must get a 4xx with the error contract's {code, message}.
 */
@QuarkusTest
@QuarkusTestResource(FlagServiceInfra.class)
class ConcurrentWritesTest {

    private static final int ROUNDS = 10;

    private final HttpClient http =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final ObjectMapper json = new ObjectMapper();

    @TestHTTPResource("/")
    URI root;

    @Test
    void twoFlagsNeverBecomeEachOthersParent() throws Exception {
        for (int round = 0; round < ROUNDS; round++) {
            String a = Api.key("cycle-a");
            String b = Api.key("cycle-b");
            Api.create(Map.of("key", a, "enabled", true, "rolloutPercentage", 100));
            Api.create(Map.of("key", b, "enabled", true, "rolloutPercentage", 100));

            CompletableFuture<HttpResponse<String>> first =
                    http.sendAsync(parent(a, b).build(), HttpResponse.BodyHandlers.ofString());
            CompletableFuture<HttpResponse<String>> second =
                    http.sendAsync(parent(b, a).build(), HttpResponse.BodyHandlers.ofString());
            List<HttpResponse<String>> answers = List.of(first.join(), second.join());

            assertThat(answers)
                    .as("round %d", round)
                    .filteredOn(r -> r.statusCode() == 200)
                    .hasSize(1);
            HttpResponse<String> refused = answers.stream()
                    .filter(r -> r.statusCode() != 200)
                    .findFirst()
                    .orElseThrow();
            assertThat(refused.statusCode()).as("round %d", round).isIn(400, 409);
            JsonNode error = json.readTree(refused.body());
            assertThat(error.path("code").asText()).isIn("VALIDATION_FAILED", "CONCURRENT_CHANGE");
            assertThat(error.path("message").asText()).isNotBlank();
            for (String key : List.of(a, b)) {
                Api.evaluate(key, "someone").then().statusCode(200);
            }
        }
    }

    @Test
    void tokensOfOneNameCreatedAtOnceGiveOneTokenAndConflicts() throws Exception {
        for (int round = 0; round < ROUNDS; round++) {
            String name = Api.key("same-name");
            oneCreatedOthersRefused("api/tokens", Map.of("name", name, "kind", "CLIENT"), "TOKEN_EXISTS", name, round);
        }
    }

    @Test
    void flagsOfOneKeyCreatedAtOnceGiveOneFlagAndConflicts() throws Exception {
        for (int round = 0; round < ROUNDS; round++) {
            String key = Api.key("same-key");
            oneCreatedOthersRefused("api/flags", Map.of("key", key), "FLAG_EXISTS", "flag", round);
        }
    }

    /** Sends the same creation three times at once: one is 201, the others 409 with {@code code}. */
    private void oneCreatedOthersRefused(String path, Map<String, Object> body, String code, String mention, int round)
            throws Exception {
        List<CompletableFuture<HttpResponse<String>>> sent = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            sent.add(http.sendAsync(
                    HttpRequest.newBuilder(root.resolve(path))
                            .header("Authorization", "Bearer " + Api.ADMIN)
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body)))
                            .build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        List<HttpResponse<String>> answers =
                sent.stream().map(CompletableFuture::join).toList();

        assertThat(answers)
                .as("round %d", round)
                .filteredOn(r -> r.statusCode() == 201)
                .hasSize(1);
        for (HttpResponse<String> refused :
                answers.stream().filter(r -> r.statusCode() != 201).toList()) {
            assertThat(refused.statusCode())
                    .as("round %d: %s", round, refused.body())
                    .isEqualTo(409);
            JsonNode error = json.readTree(refused.body());
            assertThat(error.path("code").asText()).isEqualTo(code);
            assertThat(error.path("message").asText()).contains(mention);
        }
    }

    private HttpRequest.Builder parent(String key, String parent) {
        return HttpRequest.newBuilder(root.resolve("api/flags/" + key))
                .header("Authorization", "Bearer " + Api.ADMIN)
                .header("Content-Type", "application/merge-patch+json")
                .header("If-Match", "\"1\"")
                .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"parent\":\"" + parent + "\"}"));
    }
}
