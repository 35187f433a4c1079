package dev.rollguard.flag;

import static dev.rollguard.flag.Api.admin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The audit log read page by page with the before=<id> cursor, rows sharing a time included. */
@QuarkusTest
@QuarkusTestResource(FlagServiceInfra.class)
class AuditCursorTest {

    @Test
    void pagesByCursorGiveEveryRowOnceInOrder() {
        String actor = Api.key("pager");
        String segment = Api.key("paged");
        Map<String, Object> constraint = Map.of("attribute", "country", "operator", "IN", "values", List.of("PT"));
        admin().header("X-Rollguard-Actor", actor)
                .body(Map.of("key", segment, "constraints", List.of(constraint)))
                .post("/api/segments")
                .then()
                .statusCode(201);
        for (int i = 0; i < 3; i++) {
            admin().header("X-Rollguard-Actor", actor)
                    .body(Map.of(
                            "key",
                            Api.key("paged-flag"),
                            "rules",
                            List.of(Map.of("id", "r", "segments", List.of(segment), "variant", "on"))))
                    .post("/api/flags")
                    .then()
                    .statusCode(201);
        }
        // One transaction, one time: the segment's row and the three flags it republishes.
        admin().header("X-Rollguard-Actor", actor)
                .body(Map.of(
                        "constraints",
                        List.of(Map.of("attribute", "country", "operator", "IN", "values", List.of("PT", "ES")))))
                .put("/api/segments/" + segment)
                .then()
                .statusCode(200);

        List<Integer> all = admin().queryParam("actor", actor)
                .get("/api/audit")
                .then()
                .statusCode(200)
                .extract()
                .path("id");
        assertThat(all).hasSize(8);

        List<Integer> paged = new ArrayList<>();
        Integer cursor = null;
        for (int page = 0; page < 10; page++) {
            var request = admin().queryParam("actor", actor).queryParam("limit", 3);
            if (cursor != null) {
                request.queryParam("before", cursor);
            }
            List<Integer> ids =
                    request.get("/api/audit").then().statusCode(200).extract().path("id");
            if (ids.isEmpty()) {
                break;
            }
            paged.addAll(ids);
            cursor = ids.get(ids.size() - 1);
        }
        assertThat(paged).isEqualTo(all);

        admin().queryParam("before", "x")
                .get("/api/audit")
                .then()
                .statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED"))
                .body("violations[0].field", equalTo("before"));
    }
}
