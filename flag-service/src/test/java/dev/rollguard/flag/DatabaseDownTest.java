package dev.rollguard.flag;

import static dev.rollguard.flag.Api.admin;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * With the PostgreSQL server really stopped, evaluation goes on from the snapshot, readiness reports the database
 * down, and writes fail with a clear 503 until the server is back.
 */
@QuarkusTest
@QuarkusTestResource(FlagServiceInfra.class)
class DatabaseDownTest {

    @Test
    void evaluationIsServedWhileTheDatabaseIsStopped() {
        String key = Api.key("db-down");
        Api.create(Map.of("key", key, "enabled", true, "rolloutPercentage", 100));
        Api.evaluate(key, "u1").then().statusCode(200).body("value", equalTo(true));

        FlagServiceInfra.stopDatabase();
        try {
            for (int i = 0; i < 20; i++) {
                Api.evaluate(key, "u" + i).then().statusCode(200).body("value", equalTo(true));
            }
            Api.client()
                    .body("{\"context\":{\"targetingKey\":\"u1\"}}")
                    .post("/ofrep/v1/evaluate/flags")
                    .then()
                    .statusCode(200)
                    .body("flags.key", hasItem(key));

            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> given().get("/q/health/ready")
                    .then()
                    .statusCode(503)
                    .body("checks.find { it.name.contains('PostgreSQL') }.status", equalTo("DOWN")));
            given().get("/q/health/group/evaluation").then().statusCode(200).body("status", equalTo("UP"));

            await().atMost(Duration.ofSeconds(20))
                    .untilAsserted(() -> admin().body(Map.of("reason", "during the outage"))
                            .post("/api/flags/" + key + "/kill")
                            .then()
                            .statusCode(503)
                            .body("code", equalTo("UNAVAILABLE")));
            Api.evaluate(key, "u1").then().statusCode(200).body("value", equalTo(true));
        } finally {
            FlagServiceInfra.startDatabase();
        }

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> admin().body(Map.of("reason", "after the outage"))
                .post("/api/flags/" + key + "/kill")
                .then()
                .statusCode(200)
                .body("killed", equalTo(true)));
        Api.evaluate(key, "u1").then().body("reason", equalTo("DISABLED"));
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> given().get("/q/health/ready").then().statusCode(200));
    }
}
