package dev.rollguard.flag;

import static dev.rollguard.flag.Api.admin;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * If-Match answers the same on a flag (PATCH, If-Match required) and on a segment (PUT, If-Match optional), as
 * docs/contracts.md "Conditional writes" says: a resource that is not there is 404 whatever the tag (RFC 9110
 * §13.2.1: the 404 the request would get without the condition comes first); one that is there and not at the version
 * the tag names, a stale version or a tag that names none, is 412 and left as it is; at that version the write
 * applies.
 */
@QuarkusTest
@QuarkusTestResource(FlagServiceInfra.class)
class ConditionalWritesTest {

    /** Tags no resource here is at: a version it never reached, strong and weak, and tags that name no version. */
    private static final List<String> NOT_ITS_VERSION = List.of("\"7\"", "W/\"7\"", "\"abc\"", "*");

    @Test
    void aFlagThatIsNotThereIs404WhateverTheIfMatch() {
        String key = Api.key("absent-flag");
        for (String tag : NOT_ITS_VERSION) {
            admin().header("If-Match", tag)
                    .body(Map.of("description", "edited"))
                    .patch("/api/flags/" + key)
                    .then()
                    .statusCode(404)
                    .body("code", equalTo("FLAG_NOT_FOUND"));
        }
    }

    @Test
    void aSegmentThatIsNotThereIs404WhateverTheIfMatch() {
        String key = Api.key("absent-segment");
        for (String tag : NOT_ITS_VERSION) {
            admin().header("If-Match", tag)
                    .body(Map.of("constraints", List.of()))
                    .put("/api/segments/" + key)
                    .then()
                    .statusCode(404)
                    .body("code", equalTo("SEGMENT_NOT_FOUND"));
        }
        admin().body(Map.of("constraints", List.of()))
                .put("/api/segments/" + key)
                .then()
                .statusCode(404)
                .body("code", equalTo("SEGMENT_NOT_FOUND"));
    }

    @Test
    void aFlagNotAtTheVersionTheTagNamesIs412AndUnchanged() {
        String key = Api.key("conditional-flag");
        Api.create(Map.of("key", key, "description", "as created"));
        for (String tag : NOT_ITS_VERSION) {
            admin().header("If-Match", tag)
                    .body(Map.of("description", "edited"))
                    .patch("/api/flags/" + key)
                    .then()
                    .statusCode(412)
                    .body("code", equalTo("PRECONDITION_FAILED"));
        }
        admin().get("/api/flags/" + key).then().header("ETag", "\"1\"").body("description", equalTo("as created"));

        admin().header("If-Match", "W/\"1\"")
                .body(Map.of("description", "edited"))
                .patch("/api/flags/" + key)
                .then()
                .statusCode(200)
                .header("ETag", "\"2\"")
                .body("description", equalTo("edited"));
    }

    @Test
    void aSegmentNotAtTheVersionTheTagNamesIs412AndUnchanged() {
        String key = Api.key("conditional-segment");
        admin().body(Map.of("key", key, "description", "as created", "constraints", List.of()))
                .post("/api/segments")
                .then()
                .statusCode(201);
        for (String tag : NOT_ITS_VERSION) {
            admin().header("If-Match", tag)
                    .body(Map.of("description", "edited", "constraints", List.of()))
                    .put("/api/segments/" + key)
                    .then()
                    .statusCode(412)
                    .body("code", equalTo("PRECONDITION_FAILED"));
        }
        admin().get("/api/segments/" + key).then().header("ETag", "\"1\"").body("description", equalTo("as created"));

        admin().header("If-Match", "W/\"1\"")
                .body(Map.of("description", "edited", "constraints", List.of()))
                .put("/api/segments/" + key)
                .then()
                .statusCode(200)
                .header("ETag", "\"2\"")
                .body("description", equalTo("edited"));
    }
}
