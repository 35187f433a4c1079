package dev.rollguard.flag;

import static io.restassured.RestAssured.given;

import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;
import java.util.Map;
import java.util.UUID;

/** Tokens of the test profile and shorthands for the calls most tests make. */
final class Api {

    static final String ADMIN = "test-admin-token";
    static final String SERVICE = "test-service-token";
    static final String CLIENT = "test-client-token";

    private Api() {}

    static RequestSpecification as(String token) {
        return given().header("Authorization", "Bearer " + token).contentType(ContentType.JSON);
    }

    static RequestSpecification admin() {
        return as(ADMIN);
    }

    static RequestSpecification service() {
        return as(SERVICE);
    }

    static RequestSpecification client() {
        return as(CLIENT);
    }

    /** A flag key no other test uses (tests share one database). */
    static String key(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Creates a flag and returns its ETag. */
    static String create(Map<String, Object> flag) {
        return admin().body(flag)
                .when()
                .post("/api/flags")
                .then()
                .statusCode(201)
                .extract()
                .header("ETag");
    }

    /** OFREP single evaluation of {@code key} for {@code targetingKey} (none when null). */
    static io.restassured.response.Response evaluate(String key, String targetingKey) {
        String body =
                targetingKey == null ? "{\"context\":{}}" : "{\"context\":{\"targetingKey\":\"" + targetingKey + "\"}}";
        return client().body(body).when().post("/ofrep/v1/evaluate/flags/" + key);
    }

    static void kill(String key, String reason) {
        admin().body(Map.of("reason", reason))
                .post("/api/flags/" + key + "/kill")
                .then()
                .statusCode(200);
    }
}
