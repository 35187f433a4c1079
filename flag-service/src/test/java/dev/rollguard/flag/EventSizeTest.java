package dev.rollguard.flag;

import static dev.rollguard.flag.Api.admin;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * A change whose event (the flag with the segments its rules use) would be over flag-service.outbox.max-event-bytes
 * is refused before it is committed, whatever brings it there: each request is under the body limit.
 */
@QuarkusTest
@QuarkusTestResource(FlagServiceInfra.class)
class EventSizeTest {

    /** About 600 KB encoded (1000 values of 600 characters, the most a constraint takes is 1000 of 1024). */
    private static Map<String, Object> bigConstraint(String prefix) {
        List<String> values = IntStream.range(0, 1000)
                .mapToObj(i -> (prefix + "-" + i + "-").repeat(200).substring(0, 600))
                .toList();
        return Map.of("attribute", "email", "operator", "IN", "values", values);
    }

    private static String segment(List<Map<String, Object>> constraints) {
        String key = Api.key("size");
        admin().body(Map.of("key", key, "constraints", constraints))
                .post("/api/segments")
                .then()
                .statusCode(201);
        return key;
    }

    private static Map<String, Object> flagUsing(String key, List<String> segments) {
        Map<String, Object> flag = new LinkedHashMap<>();
        flag.put("key", key);
        flag.put("enabled", true);
        flag.put("stages", List.of());
        flag.put("rolloutPercentage", 10);
        flag.put("rules", List.of(Map.of("id", "big", "segments", segments, "variant", "on")));
        return flag;
    }

    @Test
    void aFlagWhoseSegmentsMakeItsEventTooLargeIsRefused() {
        String a = segment(List.of(bigConstraint("a")));
        String b = segment(List.of(bigConstraint("b")));
        String key = Api.key("too-large");

        admin().body(flagUsing(key, List.of(a, b)))
                .post("/api/flags")
                .then()
                .statusCode(413)
                .body("code", equalTo("FLAG_TOO_LARGE"))
                .body("message", allOf(containsString(key), containsString("900000")));
        admin().get("/api/flags/" + key).then().statusCode(404);

        // One of them fits.
        Api.create(flagUsing(key, List.of(a)));
        Api.evaluate(key, "u1").then().statusCode(200);
    }

    @Test
    void aSegmentChangeThatWouldMakeAFlagUsingItTooLargeIsRefused() {
        String a = segment(List.of(bigConstraint("a")));
        String b = segment(List.of(Map.of("attribute", "country", "operator", "IN", "values", List.of("PT"))));
        String key = Api.key("grows");
        Api.create(flagUsing(key, List.of(a, b)));

        admin().body(Map.of("constraints", List.of(bigConstraint("b"))))
                .put("/api/segments/" + b)
                .then()
                .statusCode(413)
                .body("code", equalTo("FLAG_TOO_LARGE"))
                .body("message", containsString(key));
        // Nothing changed: the segment and the flag stay at their versions, and the flag can still be killed.
        admin().get("/api/segments/" + b).then().statusCode(200).header("ETag", "\"1\"");
        admin().get("/api/flags/" + key).then().statusCode(200).header("ETag", "\"1\"");
        Api.kill(key, "still killable");
        Api.evaluate(key, "u1").then().body("reason", equalTo("DISABLED"));
    }
}
