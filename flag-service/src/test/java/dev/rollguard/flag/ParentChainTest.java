package dev.rollguard.flag;

import static dev.rollguard.flag.Api.admin;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Prerequisites: no flag is left behind an archived parent, and no chain grows past what the evaluator follows. */
@QuarkusTest
@QuarkusTestResource(FlagServiceInfra.class)
class ParentChainTest {

    private static String flag(String prefix, String parent) {
        String key = Api.key(prefix);
        Map<String, Object> flag = new HashMap<>();
        flag.put("key", key);
        flag.put("enabled", true);
        flag.put("stages", List.of());
        flag.put("rolloutPercentage", 100);
        if (parent != null) {
            flag.put("parent", parent);
        }
        Api.create(flag);
        return key;
    }

    /** {@code length} flags, each the parent of the next; the first has none. */
    private static List<String> chain(String prefix, int length) {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < length; i++) {
            keys.add(flag(prefix + i, i == 0 ? null : keys.get(i - 1)));
        }
        return keys;
    }

    private static io.restassured.response.ValidatableResponse setParent(String key, String parent) {
        String etag = admin().get("/api/flags/" + key)
                .then()
                .statusCode(200)
                .extract()
                .header("ETag");
        return admin().contentType("application/merge-patch+json")
                .header("If-Match", etag)
                .body(Map.of("parent", parent))
                .patch("/api/flags/" + key)
                .then();
    }

    @Test
    void aParentOfFlagsNotArchivedCannotBeArchived() {
        String parent = flag("parent", null);
        String child = flag("child", parent);
        String other = flag("other-child", parent);

        admin().queryParam("reason", "done")
                .delete("/api/flags/" + parent)
                .then()
                .statusCode(409)
                .body("code", equalTo("FLAG_IN_USE"))
                .body("message", allOf(containsString(child), containsString(other)));
        admin().get("/api/flags/" + parent).then().body("archived", equalTo(false));
        Api.evaluate(child, "u1").then().body("value", equalTo(true));

        // Once its children are archived, it can be.
        admin().delete("/api/flags/" + child).then().statusCode(200);
        admin().delete("/api/flags/" + other).then().statusCode(200);
        admin().delete("/api/flags/" + parent).then().statusCode(200);
        admin().get("/api/flags/" + parent).then().body("archived", equalTo(true));
    }

    @Test
    void anArchivedFlagIsRefusedAsParent() {
        String archived = flag("archived", null);
        admin().delete("/api/flags/" + archived).then().statusCode(200);

        admin().body(Map.of("key", Api.key("orphan"), "parent", archived))
                .post("/api/flags")
                .then()
                .statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED"))
                .body("violations[0].field", equalTo("parent"))
                .body("message", containsString("archived"));

        String existing = flag("existing", null);
        setParent(existing, archived)
                .statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED"))
                .body("violations[0].field", equalTo("parent"));
        admin().get("/api/flags/" + existing).then().header("ETag", "\"1\"");
    }

    @Test
    void reParentingCountsTheFlagsBelowTheFlagMoved() {
        List<String> upper = chain("up", 9); // up8 has 8 prerequisites
        List<String> lower = chain("low", 10); // low9 has 9

        // Under up7, low0 would have 8 prerequisites and low9 17: one more than the evaluator follows.
        setParent(lower.get(0), upper.get(7))
                .statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED"))
                .body("violations[0].field", equalTo("parent"))
                .body("message", containsString("16"));
        // Under up6, low9 has exactly 16.
        setParent(lower.get(0), upper.get(6)).statusCode(200);

        // So a kill at the top reaches the deepest flag, which answers DISABLED, not an error.
        Api.evaluate(lower.get(9), "u1").then().body("value", equalTo(true));
        Api.kill(upper.get(0), "top of the chain");
        Api.evaluate(lower.get(9), "u1").then().body("reason", equalTo("DISABLED"));

        // And the chain cannot be made longer from the other end either.
        admin().body(Map.of("key", Api.key("deeper"), "parent", lower.get(9)))
                .post("/api/flags")
                .then()
                .statusCode(400)
                .body("violations[0].field", equalTo("parent"));
    }
}
