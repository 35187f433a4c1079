package dev.rollguard.flag;

import static dev.rollguard.flag.Api.admin;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import dev.rollguard.flag.service.FlagSnapshot;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A JSON number beyond a double's range (1e400) is refused wherever the service reads one, so that it is never stored
 * or served as the string "Infinity"; a NUMBER flag that holds one from an earlier release can still be edited.
 */
@QuarkusTest
@QuarkusTestResource(FlagServiceInfra.class)
class FiniteNumbersTest {

    @Inject
    FlagSnapshot snapshot;

    @Test
    void aNumberVariantBeyondADoubleIsRefusedAndNothingIsStored() {
        for (String number : new String[] {"1e400", "-1e400"}) {
            String key = Api.key("inf");
            admin().body("{\"key\":\"" + key + "\",\"type\":\"NUMBER\",\"enabled\":true,\"rolloutPercentage\":100,"
                            + "\"variants\":{\"on\":" + number + ",\"off\":0}}")
                    .post("/api/flags")
                    .then()
                    .statusCode(400)
                    .body("code", equalTo("VALIDATION_FAILED"))
                    .body("violations[0].field", equalTo("variants.on"))
                    .body("message", containsString("range of a double"));
            admin().get("/api/flags/" + key).then().statusCode(404);
        }
    }

    @Test
    void aJsonValueHoldingOneAtAnyDepthIsRefusedOnCreateAndPatch() {
        String key = Api.key("inf-json");
        admin().body("{\"key\":\"" + key + "\",\"type\":\"JSON\",\"variants\":{\"on\":{\"x\":[1,{\"y\":1e400}]},"
                        + "\"off\":{}}}")
                .post("/api/flags")
                .then()
                .statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED"))
                .body("violations[0].field", equalTo("variants.on.x[1].y"));

        String etag =
                Api.create(Map.of("key", key, "type", "JSON", "variants", Map.of("on", Map.of(), "off", Map.of())));
        admin().header("If-Match", etag)
                .body("{\"variants\":{\"on\":{\"x\":-1e400},\"off\":{}}}")
                .patch("/api/flags/" + key)
                .then()
                .statusCode(400)
                .body("violations[0].field", equalTo("variants.on.x"));
        admin().get("/api/flags/" + key).then().body("version", equalTo(1));
    }

    @Test
    void anOfrepOrPreviewContextHoldingOneIsRefused() {
        String key = Api.key("inf-ctx");
        Api.create(Map.of("key", key, "enabled", true, "rolloutPercentage", 100));
        Api.client()
                .body("{\"context\":{\"targetingKey\":\"u\",\"score\":1e400}}")
                .post("/ofrep/v1/evaluate/flags/" + key)
                .then()
                .statusCode(400)
                .body("errorCode", equalTo("INVALID_CONTEXT"))
                .body("errorDetails", containsString("context.score"));
        admin().body("{\"context\":{\"targetingKey\":\"u\",\"score\":-1e400}}")
                .post("/api/flags/" + key + "/preview")
                .then()
                .statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED"))
                .body("violations[0].field", equalTo("context.score"));
    }

    @Test
    void percentagesWeightsAndRatesBeyondADoubleAreRefusedByTheirBounds() {
        admin().body("{\"key\":\"" + Api.key("inf-pct") + "\",\"rolloutPercentage\":1e400}")
                .post("/api/flags")
                .then()
                .statusCode(400)
                .body("violations[0].field", equalTo("rolloutPercentage"));
        admin().body("{\"key\":\"" + Api.key("inf-w")
                        + "\",\"variantWeights\":[{\"variant\":\"on\",\"weight\":1e400}]}")
                .post("/api/flags")
                .then()
                .statusCode(400)
                .body("violations[0].field", equalTo("variantWeights[0].weight"));
        admin().body("{\"name\":\"" + Api.key("inf-token") + "\",\"kind\":\"CLIENT\",\"requestsPerSecond\":1e400}")
                .post("/api/tokens")
                .then()
                .statusCode(400)
                .body("violations[0].field", equalTo("requestsPerSecond"))
                .body("message", equalTo("requestsPerSecond must be at most 2147483647"));
    }

    @Test
    void aNumberFlagStoredAsInfinityByAnEarlierReleaseCanStillBeEditedAndArchived() throws Exception {
        String key = Api.key("inf-stored");
        Api.create(Map.of("key", key, "type", "NUMBER", "variants", Map.of("on", 1, "off", 0)));
        StoredFlags.setVariant(snapshot, key, "on", "\"Infinity\"");

        admin().header("If-Match", "\"2\"")
                .body(Map.of("description", "kept as it is"))
                .patch("/api/flags/" + key)
                .then()
                .statusCode(200)
                .body("variants.on", equalTo("Infinity"))
                .body("description", equalTo("kept as it is"));
        // Only the value it holds, unchanged: a new string is still refused.
        admin().header("If-Match", "\"3\"")
                .body("{\"variants\":{\"on\":\"-Infinity\",\"off\":0}}")
                .patch("/api/flags/" + key)
                .then()
                .statusCode(400)
                .body("violations[0].field", equalTo("variants.on"));
        admin().header("If-Match", "\"3\"")
                .body("{\"variants\":{\"on\":2.5,\"off\":0}}")
                .patch("/api/flags/" + key)
                .then()
                .statusCode(200)
                .body("variants.on", equalTo(2.5f));
        admin().delete("/api/flags/" + key).then().statusCode(200).body("archived", equalTo(true));
    }
}
