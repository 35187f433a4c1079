package dev.rollguard.flag;

import static dev.rollguard.flag.Api.admin;
import static dev.rollguard.flag.Api.client;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;

import dev.rollguard.flag.service.TokenService;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.vertx.VertxContextSupport;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Tokens (created, hashed, revoked), 401 and 403, request size and rate limits. */
@QuarkusTest
@QuarkusTestResource(FlagServiceInfra.class)
class SecurityTest {

    @Inject
    TokenService tokens;

    @Test
    void noTokenIs401AndTheWrongKindIs403() {
        given().get("/api/flags")
                .then()
                .statusCode(401)
                .contentType(ContentType.JSON)
                .body("code", equalTo("UNAUTHENTICATED"));
        given().header("Authorization", "Bearer nope").get("/api/flags").then().statusCode(401);
        client().get("/api/flags").then().statusCode(403).body("code", equalTo("FORBIDDEN"));
        client().body(Map.of("key", Api.key("by-client")))
                .post("/api/flags")
                .then()
                .statusCode(403);
        client().get("/api/tokens").then().statusCode(403);
    }

    @Test
    void createdTokensWorkAreStoredHashedAndCanBeRevoked() throws Exception {
        String name = Api.key("mobile-app");
        String token = admin().body(Map.of("name", name, "kind", "CLIENT"))
                .post("/api/tokens")
                .then()
                .statusCode(201)
                .body("kind", equalTo("CLIENT"))
                .extract()
                .path("token");
        String key = Api.key("tokened");
        Api.create(Map.of("key", key, "enabled", true, "rolloutPercentage", 100));
        given().header("X-API-Key", token)
                .contentType(ContentType.JSON)
                .body("{}")
                .post("/ofrep/v1/evaluate/flags/" + key)
                .then()
                .statusCode(200);
        given().header("X-API-Key", token).get("/api/flags").then().statusCode(403);
        admin().get("/api/tokens").then().body("name", hasItem(name)).body("token", not(hasItem(token)));

        try (var db = DriverManager.getConnection(FlagServiceInfra.jdbcUrl(), "postgres", "");
                var query = db.prepareStatement("SELECT token_hash FROM api_tokens WHERE name = ?")) {
            query.setString(1, name);
            try (ResultSet rs = query.executeQuery()) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo(TokenService.hash(token)).doesNotContain(token);
            }
        }

        admin().delete("/api/tokens/" + name).then().statusCode(200);
        given().header("X-API-Key", token)
                .contentType(ContentType.JSON)
                .body("{}")
                .post("/ofrep/v1/evaluate/flags/" + key)
                .then()
                .statusCode(401);
    }

    @Test
    void creatingAndRevokingATokenIsAuditedByWhoDidItNeverWithItsSecret() {
        String name = Api.key("ci-deployer");
        String actor = "alice-" + name + "@example.com";
        String token = admin().header("X-Rollguard-Actor", actor)
                .body(Map.of("name", name, "kind", "ADMIN"))
                .post("/api/tokens")
                .then()
                .statusCode(201)
                .extract()
                .path("token");
        admin().header("X-Rollguard-Actor", actor)
                .delete("/api/tokens/" + name)
                .then()
                .statusCode(200);
        // Revoking it again changes nothing and is not audited again.
        admin().header("X-Rollguard-Actor", actor)
                .delete("/api/tokens/" + name)
                .then()
                .statusCode(200);

        var audit = admin().queryParam("actor", actor)
                .get("/api/audit")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        assertThat(audit.getList("action")).containsExactly("TOKEN_REVOKE", "TOKEN_CREATE");
        assertThat(audit.getString("[1].after.name")).isEqualTo(name);
        assertThat(audit.getString("[1].after.kind")).isEqualTo("ADMIN");
        assertThat(audit.getString("[1].tokenName")).isEqualTo("bootstrap-admin");
        assertThat(audit.getString("[0].before.revokedAt")).isNull();
        assertThat(audit.getString("[0].after.revokedAt")).isNotNull();
        assertThat(audit.prettify()).doesNotContain(token).doesNotContain(TokenService.hash(token));
    }

    @Test
    void theBootstrapTokensAreStoredUnderTheirContractNames() {
        admin().get("/api/tokens")
                .then()
                .body("name", hasItem("bootstrap-admin"))
                .body("name", hasItem("bootstrap-service"))
                .body("name", hasItem("bootstrap-client"));
    }

    @Test
    void aRevokedBootstrapTokenStaysRevokedAtStartUntilItsSecretChanges() throws Throwable {
        String key = Api.key("bootstrap-client");
        Api.create(Map.of("key", key, "enabled", true, "rolloutPercentage", 100));
        try {
            admin().delete("/api/tokens/" + TokenService.BOOTSTRAP_CLIENT)
                    .then()
                    .statusCode(200);
            Api.evaluate(key, "someone").then().statusCode(401);

            // What every start does: the revoked secret is still the configured one, so the token stays revoked.
            VertxContextSupport.subscribeAndAwait(tokens::bootstrap);
            Api.evaluate(key, "someone").then().statusCode(401);
            admin().get("/api/tokens")
                    .then()
                    .body("find { it.name == 'bootstrap-client' }.revokedAt", org.hamcrest.Matchers.notNullValue());

            // Revoked under an earlier secret: the configured one is a rotation, and the token is active again.
            sql("UPDATE api_tokens SET token_hash = ? WHERE name = ?", TokenService.hash("an-earlier-client-token"));
            VertxContextSupport.subscribeAndAwait(tokens::bootstrap);
            Api.evaluate(key, "someone").then().statusCode(200);
            admin().get("/api/tokens")
                    .then()
                    .body("find { it.name == 'bootstrap-client' }.revokedAt", org.hamcrest.Matchers.nullValue());
        } finally {
            // Other tests use the client token.
            sql(
                    "UPDATE api_tokens SET token_hash = ?, revoked_at = NULL WHERE name = ?",
                    TokenService.hash(Api.CLIENT));
            VertxContextSupport.subscribeAndAwait(tokens::reload);
        }
    }

    private static void sql(String update, String hash) throws Exception {
        try (var db = DriverManager.getConnection(FlagServiceInfra.jdbcUrl(), "postgres", "");
                var statement = db.prepareStatement(update)) {
            statement.setString(1, hash);
            statement.setString(2, TokenService.BOOTSTRAP_CLIENT);
            assertThat(statement.executeUpdate()).isEqualTo(1);
        }
    }

    @Test
    void bodiesOverOneMegabyteAre413() {
        String big = "x".repeat(1_100_000);
        admin().body(Map.of("key", Api.key("big"), "description", big))
                .post("/api/flags")
                .then()
                .statusCode(413)
                .contentType(ContentType.JSON)
                .body("code", equalTo("PAYLOAD_TOO_LARGE"));
    }

    @Test
    void aClientOverItsRateGets429WithRetryAfter() {
        String name = Api.key("slow-client");
        String token = admin().body(Map.of("name", name, "kind", "CLIENT", "requestsPerSecond", 3))
                .post("/api/tokens")
                .then()
                .statusCode(201)
                .extract()
                .path("token");
        String key = Api.key("limited");
        Api.create(Map.of("key", key, "enabled", true, "rolloutPercentage", 100));

        List<Integer> statuses = new ArrayList<>();
        io.restassured.response.Response limited = null;
        for (int i = 0; i < 10; i++) {
            var response = given().header("X-API-Key", token)
                    .contentType(ContentType.JSON)
                    .body("{}")
                    .post("/ofrep/v1/evaluate/flags/" + key);
            statuses.add(response.statusCode());
            if (response.statusCode() == 429) {
                limited = response;
            }
        }
        assertThat(statuses).contains(200, 429);
        assertThat(limited).isNotNull();
        limited.then()
                .body("code", equalTo("RATE_LIMITED"))
                .header("Retry-After", org.hamcrest.Matchers.notNullValue());
        assertThat(Integer.parseInt(limited.header("Retry-After"))).isGreaterThanOrEqualTo(1);

        // Other tokens are not affected, and the limited one recovers as its bucket refills.
        client().body("{}").post("/ofrep/v1/evaluate/flags/" + key).then().statusCode(200);
        await().atMost(Duration.ofSeconds(3)).untilAsserted(() -> given().header("X-API-Key", token)
                .contentType(ContentType.JSON)
                .body("{}")
                .post("/ofrep/v1/evaluate/flags/" + key)
                .then()
                .statusCode(200));
    }
}
