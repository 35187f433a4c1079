package dev.rollguard.alert.support;

import static io.restassured.RestAssured.given;

import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;

/** RestAssured requests with the test profile's tokens. */
public final class Api {

    public static final String ADMIN_TOKEN = "test-admin-token";
    public static final String READ_TOKEN = "test-service-token";

    private Api() {}

    public static RequestSpecification admin() {
        return given().header("Authorization", "Bearer " + ADMIN_TOKEN).contentType(ContentType.JSON);
    }

    public static RequestSpecification reader() {
        return given().header("Authorization", "Bearer " + READ_TOKEN).contentType(ContentType.JSON);
    }
}
