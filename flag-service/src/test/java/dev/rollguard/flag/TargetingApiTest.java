package dev.rollguard.flag;

import static dev.rollguard.flag.Api.admin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.nullValue;

import dev.rollguard.schemas.event.ConstraintOperator;
import dev.rollguard.schemas.event.FlagChangeType;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.TargetingRule;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Targeting through the admin API: rules, segments and variant weights stored, answered and published; each kind of
 * refusal naming where it is; segments audited, republished into the flags that use them, and kept while in use; the
 * "who matches" preview.
 */
@QuarkusTest
@QuarkusTestResource(FlagServiceInfra.class)
class TargetingApiTest {

    private static Map<String, Object> constraint(String attribute, String operator, String... values) {
        return Map.of("attribute", attribute, "operator", operator, "values", List.of(values));
    }

    private static Map<String, Object> rule(String id, Object... fields) {
        Map<String, Object> rule = new LinkedHashMap<>();
        rule.put("id", id);
        for (int i = 0; i < fields.length; i += 2) {
            rule.put((String) fields[i], fields[i + 1]);
        }
        return rule;
    }

    /** A string flag with variants blue, green (treatment) and grey (off), on for 10 %. */
    private static Map<String, Object> colourFlag(String key, Object... fields) {
        Map<String, Object> flag = new LinkedHashMap<>();
        flag.put("key", key);
        flag.put("type", "STRING");
        flag.put("enabled", true);
        flag.put("variants", Map.of("blue", "blue", "green", "green", "grey", "grey"));
        flag.put("treatmentVariant", "green");
        flag.put("offVariant", "grey");
        flag.put("stages", List.of());
        flag.put("rolloutPercentage", 10);
        for (int i = 0; i < fields.length; i += 2) {
            flag.put((String) fields[i], fields[i + 1]);
        }
        return flag;
    }

    private static String segment(String key, List<Map<String, Object>> constraints) {
        admin().body(Map.of("key", key, "description", "who " + key, "constraints", constraints))
                .post("/api/segments")
                .then()
                .statusCode(201)
                .header("ETag", "\"1\"")
                .header("Location", containsString("/api/segments/" + key));
        return key;
    }

    private static JsonPath evaluate(String flag, Map<String, Object> context) {
        return Api.client()
                .body(Map.of("context", context))
                .post("/ofrep/v1/evaluate/flags/" + flag)
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
    }

    @Test
    void rulesWeightsAndTheSegmentsTheyUseAreStoredAnsweredAndPublished() {
        String beta = segment(Api.key("beta"), List.of(constraint("platform", "IN", "IOS")));
        String key = Api.key("targeted");
        Api.create(colourFlag(
                key,
                "rules",
                List.of(
                        rule(
                                "ios-beta",
                                "description",
                                "iOS beta testers",
                                "segments",
                                List.of(beta),
                                "constraints",
                                List.of(Map.of(
                                        "attribute",
                                        "appVersion",
                                        "operator",
                                        "SEMVER_GTE",
                                        "values",
                                        List.of("4.2.0"),
                                        "negate",
                                        true)),
                                "variant",
                                "blue"),
                        rule(
                                "country",
                                "constraints",
                                List.of(Map.of(
                                        "attribute",
                                        "country",
                                        "operator",
                                        "IN",
                                        "values",
                                        List.of("fr"),
                                        "caseInsensitive",
                                        true)),
                                "rolloutPercentage",
                                25.5)),
                "variantWeights",
                List.of(Map.of("variant", "blue", "weight", 40), Map.of("variant", "green", "weight", 60))));

        JsonPath flag = admin().get("/api/flags/" + key)
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        assertThat(flag.getString("rules[0].id")).isEqualTo("ios-beta");
        assertThat(flag.getString("rules[0].description")).isEqualTo("iOS beta testers");
        assertThat(flag.getList("rules[0].segments")).containsExactly(beta);
        assertThat(flag.getMap("rules[0].constraints[0]"))
                .containsEntry("attribute", "appVersion")
                .containsEntry("operator", "SEMVER_GTE")
                .containsEntry("values", List.of("4.2.0"))
                .containsEntry("negate", true)
                .containsEntry("caseInsensitive", false);
        assertThat(flag.getString("rules[0].variant")).isEqualTo("blue");
        assertThat(flag.getFloat("rules[0].rolloutPercentage")).isEqualTo(100f);
        assertThat(flag.getString("rules[1].variant")).isNull();
        assertThat(flag.getFloat("rules[1].rolloutPercentage")).isEqualTo(25.5f);
        assertThat(flag.getBoolean("rules[1].constraints[0].caseInsensitive")).isTrue();
        assertThat(flag.getList("variantWeights.variant")).containsExactly("blue", "green");
        assertThat(flag.getList("variantWeights.weight", Float.class)).containsExactly(40f, 60f);

        FlagChangedEvent event = FlagChanges.awaitEvent(key, 1);
        assertThat(event.getRules()).extracting(TargetingRule::getId).containsExactly("ios-beta", "country");
        assertThat(event.getRules().get(1).getRolloutBasisPoints()).isEqualTo(2550);
        assertThat(event.getRules().get(0).getConstraints().get(0).getNegate()).isTrue();
        assertThat(event.getSegments()).hasSize(1);
        assertThat(event.getSegments().get(0).getKey()).isEqualTo(beta);
        assertThat(event.getSegments().get(0).getConstraints().get(0).getOperator())
                .isEqualTo(ConstraintOperator.IN);
        assertThat(event.getVariantWeights().get(1).getWeight()).isEqualTo(6000);

        // Served at once by OFREP: the segment and the negated semver hold for an old iOS app only.
        JsonPath oldIos = evaluate(key, Map.of("targetingKey", "u-1", "platform", "IOS", "appVersion", "4.1.9"));
        assertThat(oldIos.getString("variant")).isEqualTo("blue");
        assertThat(oldIos.getString("reason")).isEqualTo("TARGETING_MATCH");
        assertThat(oldIos.getString("metadata.ruleId")).isEqualTo("ios-beta");
        JsonPath newIos = evaluate(key, Map.of("targetingKey", "u-1", "platform", "IOS", "appVersion", "4.2.0"));
        assertThat(newIos.getString("metadata.ruleId")).isNull();
    }

    @Test
    void eachKindOfTargetingProblemIsA400NamingTheRuleAndConstraint() {
        String key = Api.key("refused");
        record Case(Object rules, Object weights, String path, String says) {}
        List<Case> cases = List.of(
                new Case(
                        List.of(rule("r1", "segments", List.of("no-such-segment"))),
                        null,
                        "rules[0].segments[0]",
                        "rule r1: unknown segment 'no-such-segment'"),
                new Case(
                        List.of(rule("r1"), rule("re", "constraints", List.of(constraint("email", "MATCHES", "(")))),
                        null,
                        "rules[1].constraints[0].values",
                        "rule re: constraint 0 (email MATCHES)"),
                new Case(
                        List.of(rule("long", "constraints", List.of(constraint("email", "MATCHES", "a".repeat(257))))),
                        null,
                        "rules[0].constraints[0].values",
                        "256"),
                new Case(
                        List.of(rule(
                                "ver",
                                "constraints",
                                List.of(
                                        constraint("platform", "IN", "IOS"),
                                        constraint("appVersion", "SEMVER_GTE", "4.x")))),
                        null,
                        "rules[0].constraints[1].values",
                        "4.x"),
                new Case(
                        List.of(rule("num", "constraints", List.of(constraint("build", "NUM_GT", "1", "2")))),
                        null,
                        "rules[0].constraints[0].values",
                        "rule num: constraint 0 (build NUM_GT): takes exactly one value"),
                new Case(
                        List.of(rule("when", "constraints", List.of(constraint("signup", "DATE_AFTER", "yesterday")))),
                        null,
                        "rules[0].constraints[0].values",
                        "yesterday"),
                new Case(List.of(rule("twice"), rule("twice")), null, "rules[1].id", "twice"),
                new Case(List.of(rule("odd", "variant", "purple")), null, "rules[0].variant", "purple"),
                new Case(
                        null,
                        List.of(Map.of("variant", "blue", "weight", 50), Map.of("variant", "green", "weight", 40)),
                        "variantWeights",
                        "90"),
                new Case(
                        null,
                        List.of(Map.of("variant", "grey", "weight", 50), Map.of("variant", "green", "weight", 50)),
                        "variantWeights",
                        "grey"));
        for (Case c : cases) {
            Map<String, Object> flag = colourFlag(key);
            if (c.rules() != null) {
                flag.put("rules", c.rules());
            }
            if (c.weights() != null) {
                flag.put("variantWeights", c.weights());
            }
            JsonPath answer = admin().body(flag)
                    .post("/api/flags")
                    .then()
                    .statusCode(400)
                    .extract()
                    .jsonPath();
            assertThat(answer.getString("code")).as(c.path()).isEqualTo("INVALID_TARGETING");
            assertThat(answer.getList("problems.path", String.class))
                    .as(answer.prettify())
                    .anyMatch(path -> path.startsWith(c.path()));
            assertThat(answer.getString("message")).as(c.path()).contains(c.says());
        }
        // None of them was saved.
        admin().get("/api/flags/" + key).then().statusCode(404);

        // The request's shape is checked first, naming the field as written.
        admin().body(colourFlag(
                        key, "rules", List.of(rule("bad id", "constraints", List.of(constraint("a", "NEAR", "x"))))))
                .post("/api/flags")
                .then()
                .statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED"))
                .body("violations.field", hasItem("rules[0].constraints[0].operator"));
        admin().body(colourFlag(key, "rules", List.of(rule("bad id"))))
                .post("/api/flags")
                .then()
                .statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED"))
                .body("violations.field", hasItem("rules[0].id"));
        admin().body(colourFlag(key, "rules", List.of(rule("share", "rolloutPercentage", 10.001))))
                .post("/api/flags")
                .then()
                .statusCode(400)
                .body("violations.field", hasItem("rules[0].rolloutPercentage"));

        // An edit is refused alike and changes nothing.
        String etag = Api.create(colourFlag(key));
        admin().header("If-Match", etag)
                .body(Map.of("rules", List.of(rule("ver", "constraints", List.of(constraint("v", "SEMVER_LT", "x"))))))
                .patch("/api/flags/" + key)
                .then()
                .statusCode(400)
                .body("code", equalTo("INVALID_TARGETING"))
                .body("problems[0].path", equalTo("rules[0].constraints[0].values"));
        admin().get("/api/flags/" + key).then().header("ETag", etag).body("rules", equalTo(List.of()));
    }

    @Test
    void segmentsAreListedChangedAndDeletedWithAnAuditTrail() {
        String key = segment(Api.key("staff"), List.of(constraint("email", "STR_ENDS_WITH", "@example.com")));
        admin().body(Map.of("key", key, "constraints", List.of()))
                .post("/api/segments")
                .then()
                .statusCode(409)
                .body("code", equalTo("SEGMENT_EXISTS"));
        admin().body(Map.of("key", Api.key("bad"), "constraints", List.of(constraint("v", "SEMVER_GT", "one"))))
                .post("/api/segments")
                .then()
                .statusCode(400)
                .body("code", equalTo("INVALID_TARGETING"))
                .body("problems[0].path", equalTo("constraints[0].values"));
        admin().body(Map.of("key", "has.dot", "constraints", List.of()))
                .post("/api/segments")
                .then()
                .statusCode(400)
                .body("violations[0].field", equalTo("key"));

        admin().get("/api/segments")
                .then()
                .statusCode(200)
                .body("find { it.key == '" + key + "' }.constraints[0].operator", equalTo("STR_ENDS_WITH"));
        Api.service().get("/api/segments/" + key).then().statusCode(200).body("usedBy", equalTo(List.of()));
        Api.service()
                .body(Map.of("constraints", List.of()))
                .put("/api/segments/" + key)
                .then()
                .statusCode(403);

        admin().header("If-Match", "\"7\"")
                .body(Map.of("constraints", List.of()))
                .put("/api/segments/" + key)
                .then()
                .statusCode(412);
        admin().header("X-Rollguard-Actor", "ana")
                .body(Map.of(
                        "description",
                        "staff",
                        "constraints",
                        List.of(constraint("email", "STR_ENDS_WITH", "@example.com", "@example.org"))))
                .put("/api/segments/" + key)
                .then()
                .statusCode(200)
                .header("ETag", "\"2\"")
                .body("version", equalTo(2))
                .body("updatedBy", equalTo("ana"))
                .body("constraints[0].values", equalTo(List.of("@example.com", "@example.org")));
        admin().delete("/api/segments/" + key + "?reason=no longer needed")
                .then()
                .statusCode(204);
        admin().get("/api/segments/" + key).then().statusCode(404).body("code", equalTo("SEGMENT_NOT_FOUND"));
        admin().delete("/api/segments/" + key).then().statusCode(404);

        JsonPath audit = admin().queryParam("segment", key)
                .get("/api/audit")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        assertThat(audit.getList("action")).containsExactly("SEGMENT_DELETE", "SEGMENT_UPDATE", "SEGMENT_CREATE");
        assertThat(audit.getList("segmentKey")).containsOnly(key);
        assertThat(audit.getList("flagKey")).containsOnly((Object) null);
        assertThat(audit.getString("[0].reason")).isEqualTo("no longer needed");
        assertThat(audit.getString("[1].actor")).isEqualTo("ana");
        assertThat(audit.getList("[1].before.constraints[0].values")).containsExactly("@example.com");
        assertThat(audit.getList("[1].after.constraints[0].values")).containsExactly("@example.com", "@example.org");
        assertThat(audit.getString("[0].after")).isNull();
    }

    @Test
    void aSegmentInUseIsNotDeletedAndItsChangeRepublishesTheFlagsUsingIt() {
        String mobile = segment(Api.key("mobile"), List.of(constraint("platform", "IN", "IOS")));
        String key = Api.key("uses-segment");
        String other = Api.key("also-uses");
        String etag = Api.create(
                colourFlag(key, "rules", List.of(rule("mobile", "segments", List.of(mobile), "variant", "blue"))));
        Api.create(colourFlag(other, "rules", List.of(rule("m", "segments", List.of(mobile), "variant", "blue"))));
        assertThat(evaluate(key, Map.of("targetingKey", "u-1", "platform", "IOS"))
                        .getString("variant"))
                .isEqualTo("blue");

        admin().delete("/api/segments/" + mobile)
                .then()
                .statusCode(409)
                .body("code", equalTo("SEGMENT_IN_USE"))
                .body(
                        "message",
                        containsString("used by flags "
                                + String.join(
                                        ", ",
                                        List.of(key, other).stream().sorted().toList())));
        admin().get("/api/segments/" + mobile)
                .then()
                .statusCode(200)
                .body("usedBy", equalTo(List.of(key, other).stream().sorted().toList()));

        admin().body(Map.of("constraints", List.of(constraint("platform", "IN", "ANDROID"))))
                .put("/api/segments/" + mobile)
                .then()
                .statusCode(200)
                .body("version", equalTo(2));

        // A new version of each flag, on the broker with the new definition copied in.
        admin().get("/api/flags/" + key).then().header("ETag", "\"2\"");
        FlagChangedEvent republished = FlagChanges.awaitEvent(key, 2);
        assertThat(republished.getChangeType()).isEqualTo(FlagChangeType.UPDATED);
        assertThat(republished.getReason()).isEqualTo("segment " + mobile + " changed");
        assertThat(republished.getSegments().get(0).getConstraints().get(0).getValues())
                .containsExactly("ANDROID");
        assertThat(FlagChanges.awaitEvent(other, 2)
                        .getSegments()
                        .get(0)
                        .getConstraints()
                        .get(0)
                        .getValues())
                .containsExactly("ANDROID");
        assertThat(evaluate(key, Map.of("targetingKey", "u-1", "platform", "IOS"))
                        .getString("metadata.ruleId"))
                .isNull();
        assertThat(evaluate(key, Map.of("targetingKey", "u-1", "platform", "ANDROID"))
                        .getString("variant"))
                .isEqualTo("blue");
        JsonPath audit = admin().queryParam("flag", key)
                .get("/api/audit")
                .then()
                .extract()
                .jsonPath();
        assertThat(audit.getString("[0].action")).isEqualTo("UPDATE");
        assertThat(audit.getString("[0].reason")).isEqualTo("segment " + mobile + " changed");

        // Once no rule uses it, it may go.
        admin().header("If-Match", "\"2\"")
                .body(Map.of("rules", List.of()))
                .patch("/api/flags/" + key)
                .then()
                .statusCode(200);
        admin().header("If-Match", "\"2\"")
                .body(Map.of("rules", List.of()))
                .patch("/api/flags/" + other)
                .then()
                .statusCode(200);
        admin().delete("/api/segments/" + mobile).then().statusCode(204);
        assertThat(etag).isEqualTo("\"1\"");
    }

    @Test
    void thePreviewAnswersWhatASampleContextIsServedByTheStoredOrDraftRules() {
        String key = Api.key("preview");
        Api.create(colourFlag(
                key,
                "rolloutPercentage",
                0,
                "rules",
                List.of(rule("ios", "constraints", List.of(constraint("platform", "IN", "IOS")), "variant", "blue"))));

        Api.service()
                .body(Map.of("context", Map.of("targetingKey", "u-1", "platform", "IOS")))
                .post("/api/flags/" + key + "/preview")
                .then()
                .statusCode(200)
                .body("variant", equalTo("blue"))
                .body("value", equalTo("blue"))
                .body("reason", equalTo("TARGETING_MATCH"))
                .body("ruleId", equalTo("ios"))
                .body("treated", equalTo(true));
        admin().body(Map.of("context", Map.of("targetingKey", "u-1", "platform", "ANDROID")))
                .post("/api/flags/" + key + "/preview")
                .then()
                .statusCode(200)
                .body("variant", equalTo("grey"))
                .body("reason", equalTo("DEFAULT"))
                .body("ruleId", nullValue())
                .body("treated", equalTo(false));

        // A draft answers for itself, numbers as numbers, and nothing is saved.
        admin().body(Map.of(
                        "context",
                        Map.of("targetingKey", "u-1", "platform", "ANDROID", "build", 420),
                        "rules",
                        List.of(rule(
                                "builds",
                                "constraints",
                                List.of(constraint("build", "NUM_GTE", "400")),
                                "variant",
                                "green"))))
                .post("/api/flags/" + key + "/preview")
                .then()
                .statusCode(200)
                .body("variant", equalTo("green"))
                .body("ruleId", equalTo("builds"))
                .body("treated", equalTo(true));
        admin().get("/api/flags/" + key).then().header("ETag", "\"1\"").body("rules[0].id", equalTo("ios"));

        admin().body(Map.of(
                        "context",
                        Map.of("targetingKey", "u-1"),
                        "rules",
                        List.of(rule("builds", "constraints", List.of(constraint("build", "NUM_GTE", "many"))))))
                .post("/api/flags/" + key + "/preview")
                .then()
                .statusCode(400)
                .body("code", equalTo("INVALID_TARGETING"))
                .body("problems[0].path", equalTo("rules[0].constraints[0].values"));
        admin().body(Map.of("context", Map.of("platform", List.of("IOS"))))
                .post("/api/flags/" + key + "/preview")
                .then()
                .statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED"))
                .body("violations[0].field", equalTo("context.platform"));
        admin().body(Map.of("context", Map.of()))
                .post("/api/flags/no-such-flag/preview")
                .then()
                .statusCode(404)
                .body("code", equalTo("FLAG_NOT_FOUND"));
        Api.client()
                .body(Map.of("context", Map.of()))
                .post("/api/flags/" + key + "/preview")
                .then()
                .statusCode(403);
    }
}
