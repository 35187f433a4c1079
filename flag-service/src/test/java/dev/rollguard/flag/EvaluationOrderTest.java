package dev.rollguard.flag;

import static dev.rollguard.flag.Api.admin;
import static org.hamcrest.Matchers.equalTo;

import dev.rollguard.schemas.bucketing.Bucketing;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The documented evaluation order, rule by rule, as clients see it through OFREP: global kill > flag disabled or
 * killed > parent off > deny-list > allow-list > percentage bucket > default.
 */
@QuarkusTest
@QuarkusTestResource(FlagServiceInfra.class)
class EvaluationOrderTest {

    @Test
    void aDisabledFlagServesOffEvenToItsAllowList() {
        String key = Api.key("disabled");
        Api.create(Map.of("key", key, "enabled", false, "allowList", List.of("vip"), "rolloutPercentage", 100));
        expect(key, "vip", false, "off", "DISABLED");
    }

    @Test
    void aKilledFlagServesOffEvenToItsAllowList() {
        String key = Api.key("killed");
        Api.create(Map.of("key", key, "enabled", true, "allowList", List.of("vip"), "rolloutPercentage", 100));
        Api.kill(key, "test");
        expect(key, "vip", false, "off", "DISABLED");
    }

    @Test
    void theDenyListWinsOverTheAllowListAndTheBucket() {
        String key = Api.key("lists");
        Api.create(Map.of(
                "key",
                key,
                "enabled",
                true,
                "allowList",
                List.of("both", "allowed"),
                "denyList",
                List.of("both", "denied"),
                "rolloutPercentage",
                100));
        expect(key, "both", false, "off", "TARGETING_MATCH");
        expect(key, "denied", false, "off", "TARGETING_MATCH");
        expect(key, "allowed", true, "on", "TARGETING_MATCH");
        expect(key, "anyone-else", true, "on", "STATIC");
    }

    @Test
    void theAllowListGetsTheTreatmentAtZeroPercentWhereOthersGetTheDefault() {
        String key = Api.key("internal-only");
        Api.create(Map.of("key", key, "enabled", true, "allowList", List.of("admin@example.com")));
        expect(key, "admin@example.com", true, "on", "TARGETING_MATCH");
        expect(key, "customer", false, "off", "DEFAULT");
    }

    @Test
    void thePercentageRolloutSplitsByTheSharedBucketing() {
        String key = Api.key("split");
        Api.create(Map.of("key", key, "enabled", true, "rolloutPercentage", 30));
        String inside = firstSubject(key, true, 3000);
        String outside = firstSubject(key, false, 3000);
        expect(key, inside, true, "on", "SPLIT");
        expect(key, outside, false, "off", "SPLIT");
        Api.evaluate(key, null)
                .then()
                .statusCode(400)
                .body("key", equalTo(key))
                .body("errorCode", equalTo("TARGETING_KEY_MISSING"));
    }

    @Test
    void aParentThatIsOffForTheSubjectSwitchesTheChildOff() {
        String parent = Api.key("replication");
        String child = parent + ".table-entries";
        Api.create(Map.of("key", parent, "enabled", true, "rolloutPercentage", 50));
        Api.create(Map.of("key", child, "enabled", true, "rolloutPercentage", 100, "parent", parent));
        String parentOn = firstSubject(parent, true, 5000);
        String parentOff = firstSubject(parent, false, 5000);

        expect(child, parentOn, true, "on", "STATIC");
        expect(child, parentOff, false, "off", "DISABLED");

        Api.kill(parent, "parent kill");
        expect(child, parentOn, false, "off", "DISABLED");
        admin().get("/api/flags/" + child).then().body("killed", equalTo(false));

        admin().body(Map.of("reason", "recovered")).post("/api/flags/" + parent + "/unkill");
        expect(child, parentOn, true, "on", "STATIC");
    }

    @Test
    void theGlobalKillSwitchTurnsEveryFlagOffUntilItIsReleased() {
        String key = Api.key("global");
        Api.create(Map.of("key", key, "enabled", true, "allowList", List.of("vip"), "rolloutPercentage", 100));
        try {
            admin().body(Map.of("reason", "incident 42"))
                    .post("/api/kill-switch")
                    .then()
                    .statusCode(200)
                    .body("killed", equalTo(true))
                    .body("reason", equalTo("incident 42"));
            expect(key, "vip", false, "off", "DISABLED");
            expect(key, "anyone", false, "off", "DISABLED");
            admin().get("/api/kill-switch").then().body("killed", equalTo(true));
            admin().queryParam("flag", "*")
                    .get("/api/audit")
                    .then()
                    .body("[0].action", equalTo("GLOBAL_KILL"))
                    .body("[0].reason", equalTo("incident 42"));
        } finally {
            admin().queryParam("reason", "incident over")
                    .delete("/api/kill-switch")
                    .then()
                    .statusCode(200)
                    .body("killed", equalTo(false));
        }
        expect(key, "vip", true, "on", "TARGETING_MATCH");
        expect(key, "anyone", true, "on", "STATIC");
    }

    private static void expect(String key, String subject, boolean value, String variant, String reason) {
        Api.evaluate(key, subject)
                .then()
                .statusCode(200)
                .body("key", equalTo(key))
                .body("value", equalTo(value))
                .body("variant", equalTo(variant))
                .body("reason", equalTo(reason));
    }

    /** A subject whose bucket for {@code key} is (or is not) below {@code basisPoints}. */
    private static String firstSubject(String key, boolean inside, int basisPoints) {
        return IntStream.range(0, 10_000)
                .mapToObj(i -> "user-" + i)
                .filter(s -> Bucketing.inRollout(key, s, basisPoints) == inside)
                .findFirst()
                .orElseThrow();
    }
}
