package dev.rollguard.flag;

import static dev.rollguard.flag.Api.admin;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

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

    /**
     * Tags no resource here is at: a version it never reached, strong and weak, a list of such versions, and tags that
     * name no version.
     */
    private static final List<String> NOT_ITS_VERSION = List.of("\"7\"", "W/\"7\"", "\"7\", \"8\"", "\"abc\"");

    /** The two kinds of resource written with If-Match: how one is created, and its edit of the description. */
    enum Kind {
        FLAG("/api/flags/", "FLAG_NOT_FOUND", true) {
            @Override
            void create(String key) {
                Api.create(Map.of("key", key, "description", "as created"));
            }

            @Override
            Response edit(String key, String ifMatch) {
                return conditional(ifMatch)
                        .body(Map.of("description", "edited"))
                        .patch(path + key);
            }
        },
        SEGMENT("/api/segments/", "SEGMENT_NOT_FOUND", false) {
            @Override
            void create(String key) {
                admin().body(Map.of("key", key, "description", "as created", "constraints", List.of()))
                        .post("/api/segments")
                        .then()
                        .statusCode(201);
            }

            @Override
            Response edit(String key, String ifMatch) {
                return conditional(ifMatch)
                        .body(Map.of("description", "edited", "constraints", List.of()))
                        .put(path + key);
            }
        };

        final String path;
        final String notFound;
        final boolean ifMatchRequired;

        Kind(String path, String notFound, boolean ifMatchRequired) {
            this.path = path;
            this.notFound = notFound;
            this.ifMatchRequired = ifMatchRequired;
        }

        abstract void create(String key);

        /** The edit with this If-Match, or none when null. */
        abstract Response edit(String key, String ifMatch);

        RequestSpecification conditional(String ifMatch) {
            return ifMatch == null ? admin() : admin().header("If-Match", ifMatch);
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void oneThatIsNotThereIs404WhateverTheIfMatch(Kind kind) {
        String key = Api.key("absent-" + kind.name().toLowerCase());
        for (String tag : NOT_ITS_VERSION) {
            kind.edit(key, tag).then().statusCode(404).body("code", equalTo(kind.notFound));
        }
        // "*" is met by any current representation, and there is none.
        kind.edit(key, "*").then().statusCode(404).body("code", equalTo(kind.notFound));
        // Without If-Match: where it is required that is refused first, as any malformed request is.
        kind.edit(key, null)
                .then()
                .statusCode(kind.ifMatchRequired ? 428 : 404)
                .body("code", equalTo(kind.ifMatchRequired ? "PRECONDITION_REQUIRED" : kind.notFound));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void oneNotAtTheVersionTheTagNamesIs412AndUnchanged(Kind kind) {
        String key = Api.key("conditional-" + kind.name().toLowerCase());
        kind.create(key);
        for (String tag : NOT_ITS_VERSION) {
            kind.edit(key, tag).then().statusCode(412).body("code", equalTo("PRECONDITION_FAILED"));
        }
        admin().get(kind.path + key).then().header("ETag", "\"1\"").body("description", equalTo("as created"));

        kind.edit(key, "W/\"1\"").then().statusCode(200).header("ETag", "\"2\"").body("description", equalTo("edited"));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aListOfTagsIsMetByAnyOfThemAndAStarByAnyVersionWhereIfMatchIsOptional(Kind kind) {
        String key = Api.key("listed-" + kind.name().toLowerCase());
        kind.create(key);
        if (kind.ifMatchRequired) {
            // Where If-Match is required, "*" would give up the lost-update check it is required for: it names no
            // version, and is met by none.
            kind.edit(key, "*").then().statusCode(412).body("code", equalTo("PRECONDITION_FAILED"));
            admin().get(kind.path + key).then().header("ETag", "\"1\"").body("description", equalTo("as created"));
            kind.edit(key, "\"1\"").then().statusCode(200).header("ETag", "\"2\"");
        } else {
            // "*": whatever version the resource is at, as long as it is there.
            kind.edit(key, "*").then().statusCode(200).header("ETag", "\"2\"").body("description", equalTo("edited"));
        }
        // RFC 9110 §13.1.1: one of the listed tags matching is enough (the same edit again: nothing else changes).
        kind.edit(key, "\"7\", W/\"2\"").then().statusCode(200).body("description", equalTo("edited"));
        kind.edit(key, "\"7\", \"1\"").then().statusCode(412).body("code", equalTo("PRECONDITION_FAILED"));
    }
}
