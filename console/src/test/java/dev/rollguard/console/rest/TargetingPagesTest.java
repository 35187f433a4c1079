package dev.rollguard.console.rest;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.console.ServiceStub;
import dev.rollguard.console.StubbedServices;
import dev.rollguard.console.session.OperatorSession;
import dev.rollguard.console.session.SessionStore;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A flag's targeting and the segments pages, with the flag-service answering from {@link ServiceStub} in the shapes of
 * the targeting contract: the rule list as an operator reads it; what adding, editing, moving and removing a rule,
 * saving weights, previewing a sample context and changing segments send (the whole list, If-Match, the draft); the
 * flag-service's {@code 400 INVALID_TARGETING} next to the rule and constraint it names and its {@code 409
 * SEGMENT_IN_USE} with the flags named; read-only sessions and forged forms refused.
 */
@QuarkusTest
@QuarkusTestResource(value = StubbedServices.class, restrictToAnnotatedClass = true)
class TargetingPagesTest {

    private static final String TOKEN = "targeting-pages-token";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static ServiceStub stub;

    static final String FLAG =
            """
            {"key": "checkout.v2", "description": "The new checkout", "enabled": true, "killed": false,
             "archived": false, "paused": false, "type": "STRING", "rolloutPercentage": 10, "version": 7,
             "variants": {"off": "grey", "blue": "#00f", "green": "#0f0"},
             "treatmentVariant": "blue", "offVariant": "off", "stages": [], "currentStage": null,
             "rules": [
               {"id": "ios-new-app", "description": "iOS 4.2+", "segments": ["beta-testers"],
                "constraints": [{"attribute": "platform", "operator": "IN", "values": ["IOS"], "negate": false,
                                 "caseInsensitive": false},
                                {"attribute": "appVersion", "operator": "SEMVER_GTE", "values": ["4.2.0"],
                                 "negate": false, "caseInsensitive": false}],
                "variant": null, "rolloutPercentage": 25},
               {"id": "not-ios", "description": null, "segments": [],
                "constraints": [{"attribute": "platform", "operator": "IN", "values": ["IOS"], "negate": true,
                                 "caseInsensitive": false}],
                "variant": "green", "rolloutPercentage": null}],
             "variantWeights": [{"variant": "blue", "weight": 50}, {"variant": "green", "weight": 50}]}
            """;

    @Inject
    SessionStore sessions;

    private OperatorSession session;

    @BeforeEach
    void aFlagWithTwoRulesAndASegment() {
        stub = StubbedServices.stub();
        stub.reset();
        session = sessions.open(TOKEN, "admin", true);
        stub.answer("/api/flags/checkout.v2", 200, FLAG);
        stub.answer(
                "/api/segments",
                200,
                """
                [{"key": "beta-testers", "description": "People who asked for it",
                  "constraints": [{"attribute": "email", "operator": "STR_ENDS_WITH", "values": ["@example.com"],
                                   "negate": false, "caseInsensitive": true}],
                  "usedBy": ["checkout.v2"], "version": 3,
                  "updatedAt": "2026-12-02T10:00:00Z", "updatedBy": "ana"}]
                """);
        stub.answer(
                "/api/segments/beta-testers",
                200,
                """
                {"key": "beta-testers", "description": "People who asked for it",
                 "constraints": [{"attribute": "email", "operator": "STR_ENDS_WITH", "values": ["@example.com"],
                                  "negate": false, "caseInsensitive": true}]}
                """);
    }

    @Test
    void theFlagPageListsTheRulesInOrderAsAnOperatorReadsThem() {
        String page = page("/flags/checkout.v2");

        String rows = between(page, "id=\"rule-rows\"", "</tbody>");
        assertThat(rows.indexOf("data-rule=\"ios-new-app\"")).isLessThan(rows.indexOf("data-rule=\"not-ios\""));
        String first = between(rows, "data-rule=\"ios-new-app\"", "</tr>");
        assertThat(first)
                .contains("iOS 4.2+")
                .contains("in segment <a href=\"/segments#segment-beta-testers\">beta-testers</a>")
                .contains("<code>platform in [IOS]</code>")
                .contains("<code>appVersion semver &gt;= 4.2.0</code>")
                .contains("25 % of matching subjects get the treatment")
                .contains("href=\"/flags/checkout.v2/rules/ios-new-app/edit\"")
                .contains("id=\"up-rule-ios-new-app\" disabled")
                .doesNotContain("id=\"down-rule-ios-new-app\" disabled");
        String second = between(rows, "data-rule=\"not-ios\"", "</tr>");
        assertThat(second)
                .contains("<code>not platform in [IOS]</code>")
                .contains("serves green")
                .contains("id=\"down-rule-not-ios\" disabled");
        assertThat(between(page, "id=\"variant-weights\"", "</p>")).contains("blue 50 %", "green 50 %");
        assertThat(page)
                .contains("action=\"/flags/checkout.v2/preview\" id=\"preview-form\"")
                .contains("hx-post=\"/flags/checkout.v2/preview\"")
                .contains("href=\"/segments\" ")
                .contains("id=\"add-rule\"");
    }

    @Test
    void addingARuleSendsTheWholeListWithTheVersionSeen() throws Exception {
        assertThat(page("/flags/checkout.v2/rules/new"))
                .contains("name=\"c0.attribute\"", "name=\"c1.attribute\"")
                .contains("<option value=\"beta-testers\">")
                .contains("<option value=\"SEMVER_GTE\">semver &gt;=</option>");

        Response response = form().formParam("version", "7")
                .formParam("original", "")
                .formParam("id", "android-beta")
                .formParam("description", "Android beta")
                .formParam("c0.attribute", "platform")
                .formParam("c0.operator", "IN")
                .formParam("c0.values", "ANDROID")
                .formParam("c1.attribute", "appVersion")
                .formParam("c1.operator", "SEMVER_GTE")
                .formParam("c1.values", "5.0.0")
                .formParam("serves", "variant")
                .formParam("variant", "blue")
                .formParam("do", "save")
                .post("/flags/checkout.v2/rules");

        assertThat(response.statusCode()).as(response.asString()).isEqualTo(303);
        assertThat(response.header("Location")).endsWith("/flags/checkout.v2?notice=rule-added");
        ServiceStub.Seen patch = only("PATCH");
        assertThat(patch.pathAndQuery()).isEqualTo("/api/flags/checkout.v2");
        assertThat(patch.ifMatch()).isEqualTo("\"7\"");
        assertThat(patch.authorization()).isEqualTo("Bearer " + TOKEN);
        JsonNode rules = JSON.readTree(patch.body()).get("rules");
        assertThat(ids(rules)).containsExactly("ios-new-app", "not-ios", "android-beta");
        // The stored rules go back unchanged, the new one as the contract shapes it.
        assertThat(rules.get(0)).isEqualTo(JSON.readTree(FLAG).at("/rules/0"));
        assertThat(rules.get(2).toString())
                .isEqualTo("{\"id\":\"android-beta\",\"description\":\"Android beta\",\"segments\":[],"
                        + "\"constraints\":[{\"attribute\":\"platform\",\"operator\":\"IN\",\"values\":[\"ANDROID\"],"
                        + "\"negate\":false,\"caseInsensitive\":false},{\"attribute\":\"appVersion\","
                        + "\"operator\":\"SEMVER_GTE\",\"values\":[\"5.0.0\"],\"negate\":false,"
                        + "\"caseInsensitive\":false}],\"variant\":\"blue\",\"rolloutPercentage\":null}");
    }

    @Test
    void theFlagServicesInvalidTargetingIsShownNextToTheRuleAndConstraintItNames() {
        refusePatch(
                400,
                """
                {"code": "INVALID_TARGETING", "message": "rule ios-new-app: 1 problem",
                 "problems": [{"path": "rules[0].constraints[1].values",
                               "message": "rule ios-new-app: '4.2' is not a semantic version"},
                              {"path": "rules[0].segments[0]", "message": "rule ios-new-app: unknown segment nope"}]}
                """);

        Response response = form().formParam("version", "7")
                .formParam("original", "ios-new-app")
                .formParam("id", "ios-new-app")
                .formParam("segments", "nope")
                .formParam("c0.attribute", "platform")
                .formParam("c0.operator", "IN")
                .formParam("c0.values", "IOS")
                .formParam("c1.attribute", "")
                .formParam("c1.values", "")
                .formParam("c2.attribute", "appVersion")
                .formParam("c2.operator", "SEMVER_GTE")
                .formParam("c2.values", "4.2")
                .formParam("serves", "share")
                .formParam("rolloutPercentage", "25")
                .post("/flags/checkout.v2/rules");

        assertThat(response.statusCode()).isEqualTo(400);
        String page = response.asString();
        assertThat(page).contains("The flag-service refused the rule (INVALID_TARGETING).");
        // The second constraint sent is the form's third row: the empty row was not sent.
        assertThat(between(page, "id=\"constraint-2\"", "id=\"add-constraint\""))
                .contains("id=\"constraint-2-error\">values: rule ios-new-app: &#39;4.2&#39; is not a semantic"
                        + " version</p>");
        assertThat(between(page, "id=\"constraint-0\"", "id=\"constraint-1\"")).doesNotContain("field-error");
        assertThat(page).contains("id=\"rule-segments-error\">rule ios-new-app: unknown segment nope</p>");
        assertThat(page).contains(">4.2</textarea>").contains("value=\"nope\"");
        JsonNode rules = readPatch();
        assertThat(ids(rules)).containsExactly("ios-new-app", "not-ios");
        assertThat(rules.at("/0/constraints").size()).isEqualTo(2);
    }

    @Test
    void aConcurrentChangeIsReportedNotOverwritten() {
        refusePatch(412, "{\"code\": \"PRECONDITION_FAILED\", \"message\": \"version 8, not 7\"}");
        Response response = form().formParam("version", "7")
                .formParam("original", "not-ios")
                .formParam("id", "not-ios")
                .formParam("serves", "variant")
                .formParam("variant", "green")
                .post("/flags/checkout.v2/rules");
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.asString()).contains("Someone changed this flag while you were editing it.");
    }

    @Test
    void rulesMoveAndGoAwayWithTheVersionSeen() throws Exception {
        Response up = form().formParam("version", "7")
                .formParam("direction", "up")
                .post("/flags/checkout.v2/rules/not-ios/move");
        assertThat(up.statusCode()).isEqualTo(303);
        assertThat(up.header("Location")).endsWith("?notice=rule-moved");
        assertThat(ids(readPatch())).containsExactly("not-ios", "ios-new-app");
        assertThat(only("PATCH").ifMatch()).isEqualTo("\"7\"");

        stub.reset();
        aFlagWithTwoRulesAndASegment();
        Response beyond = form().formParam("version", "7")
                .formParam("direction", "up")
                .post("/flags/checkout.v2/rules/ios-new-app/move");
        assertThat(beyond.statusCode()).isEqualTo(409);
        assertThat(stub.seen()).noneMatch(r -> r.method().equals("PATCH"));

        assertThat(page("/flags/checkout.v2/rules/ios-new-app/remove"))
                .contains("Rule 1 (in segment beta-testers and platform in [IOS] and appVersion semver &gt;= 4.2.0;")
                .contains("served by the rules after it");
        Response removed = form().formParam("version", "7").post("/flags/checkout.v2/rules/ios-new-app/remove");
        assertThat(removed.statusCode()).isEqualTo(303);
        assertThat(ids(readPatch())).containsExactly("not-ios");
        assertThat(page("/flags/checkout.v2?notice=rule-removed")).contains("Rule removed");
    }

    @Test
    void weightsAreSavedAndTheirProblemsShownByVariant() throws Exception {
        String editor = page("/flags/checkout.v2/weights");
        assertThat(editor)
                .contains("name=\"w0.variant\" value=\"blue\"")
                .contains("id=\"w0-weight\" name=\"w0.weight\" inputmode=\"decimal\" value=\"50\"")
                .contains("name=\"w1.variant\" value=\"green\"")
                .doesNotContain("value=\"off\"");

        Response saved = form().formParam("version", "7")
                .formParam("w0.variant", "blue")
                .formParam("w0.weight", "70")
                .formParam("w1.variant", "green")
                .formParam("w1.weight", "30")
                .post("/flags/checkout.v2/weights");
        assertThat(saved.statusCode()).isEqualTo(303);
        assertThat(JSON.readTree(only("PATCH").body()).toString())
                .isEqualTo("{\"variantWeights\":[{\"variant\":\"blue\",\"weight\":70},{\"variant\":\"green\","
                        + "\"weight\":30}]}");

        stub.reset();
        aFlagWithTwoRulesAndASegment();
        refusePatch(
                400,
                """
                {"code": "INVALID_TARGETING", "message": "weights",
                 "problems": [{"path": "variantWeights", "message": "the weights sum to 90, not 100"},
                              {"path": "variantWeights[1].weight", "message": "must be above 0"}]}
                """);
        Response refused = form().formParam("version", "7")
                .formParam("w0.variant", "blue")
                .formParam("w0.weight", "90")
                .formParam("w1.variant", "green")
                .formParam("w1.weight", "0")
                .post("/flags/checkout.v2/weights");
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(refused.asString())
                .contains("id=\"weights-problems\"><li>the weights sum to 90, not 100</li>")
                .contains("id=\"w1-error\">must be above 0</p>");
    }

    @Test
    void theWeightsAsTypedArePreviewedForASampleContextAndNothingIsSaved() throws Exception {
        stub.answer(
                "/api/flags/checkout.v2/preview",
                200,
                "{\"variant\": \"green\", \"value\": \"#0f0\", \"reason\": \"SPLIT\", \"ruleId\": null,"
                        + " \"treated\": true}");
        String editor = page("/flags/checkout.v2/weights");
        assertThat(editor)
                .contains("<input type=\"hidden\" name=\"draft\" value=\"weights\">")
                .contains("hx-post=\"/flags/checkout.v2/preview\"")
                .contains("with the weights as typed above (nothing is saved)");

        Response fragment =
                weightsDraft("20", "80").header("HX-Request", "true").post("/flags/checkout.v2/preview");

        assertThat(fragment.statusCode()).isEqualTo(200);
        assertThat(fragment.asString())
                .startsWith("<div id=\"preview-result\"")
                .contains("id=\"preview-variant\">green</dd>")
                .contains("id=\"preview-reason\">SPLIT</dd>")
                .contains("id=\"preview-rule\">none: no rule matched</dd>")
                .contains("With the weights as typed here: nothing is saved.")
                .contains("<p class=\"field-error\" id=\"w0-error\" hx-swap-oob=\"true\" hidden></p>")
                .contains("<p class=\"field-error\" id=\"w1-error\" hx-swap-oob=\"true\" hidden></p>")
                .doesNotContain("<html");
        JsonNode asked = JSON.readTree(only("POST").body());
        assertThat(asked.get("context").toString()).isEqualTo("{\"targetingKey\":\"u-7\"}");
        assertThat(asked.get("variantWeights").toString())
                .isEqualTo("[{\"variant\":\"blue\",\"weight\":20},{\"variant\":\"green\",\"weight\":80}]");
        assertThat(asked.has("rules")).as("the stored rules, not a draft rule").isFalse();
        assertThat(stub.seen()).noneMatch(r -> r.method().equals("PATCH"));

        // Without a script: the Preview button submits the editor itself, and the page comes back with the answer.
        Response page = weightsDraft("20", "80").formParam("do", "preview").post("/flags/checkout.v2/weights");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.asString())
                .contains("<title>Variant weights")
                .contains("id=\"w0-weight\" name=\"w0.weight\" inputmode=\"decimal\" value=\"20\"")
                .contains("id=\"preview-variant\">green</dd>")
                .contains("With the weights as typed here: nothing is saved.");
        assertThat(stub.seen()).noneMatch(r -> r.method().equals("PATCH"));
    }

    @Test
    void weightsTheFlagServiceRefusesArePreviewedAsItsProblemsNextToTheirFields() throws Exception {
        stub.answer(
                "/api/flags/checkout.v2/preview",
                400,
                """
                {"code": "VALIDATION_FAILED", "message": "The request is not valid.",
                 "violations": [{"field": "variantWeights[1].weight", "message": "must be greater than or equal to 0"}]}
                """);

        Response fragment =
                weightsDraft("110", "-10").header("HX-Request", "true").post("/flags/checkout.v2/preview");

        assertThat(fragment.statusCode()).isEqualTo(200);
        assertThat(fragment.asString())
                .contains("id=\"preview-error\">The flag-service did not answer the preview: The request is not valid."
                        + " (VALIDATION_FAILED)")
                .contains("<li>green: must be greater than or equal to 0</li>")
                .contains("<p class=\"field-error\" id=\"w1-error\" hx-swap-oob=\"true\">must be greater than or"
                        + " equal to 0</p>")
                .contains("<p class=\"field-error\" id=\"w0-error\" hx-swap-oob=\"true\" hidden></p>")
                .doesNotContain("Exception");

        // Without a script, the same problem on the editor's page, next to the field.
        Response page = weightsDraft("110", "-10").formParam("do", "preview").post("/flags/checkout.v2/weights");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.asString())
                .contains("id=\"w1-error\">must be greater than or equal to 0</p>")
                .contains("id=\"w1-weight\" name=\"w1.weight\" inputmode=\"decimal\" value=\"-10\"");

        // A sum the flag-service refuses is not a field's: it is said with the answer.
        stub.answer(
                "/api/flags/checkout.v2/preview",
                400,
                """
                {"code": "INVALID_TARGETING", "message": "1 targeting problem(s)",
                 "problems": [{"path": "variantWeights", "message": "the weights sum to 0.00 %, not 100 %"}]}
                """);
        assertThat(weightsDraft("0", "0")
                        .header("HX-Request", "true")
                        .post("/flags/checkout.v2/preview")
                        .asString())
                .contains("id=\"preview-problems\"><li>the weights sum to 0.00 %, not 100 %</li></ul>");

        // A weight that is not a number is not sent: the console says so next to it.
        stub.reset();
        aFlagWithTwoRulesAndASegment();
        Response unreadable =
                weightsDraft("half", "50").header("HX-Request", "true").post("/flags/checkout.v2/preview");
        assertThat(unreadable.asString())
                .contains("The weights as typed need a fix before they can be previewed.")
                .contains("id=\"w0-error\" hx-swap-oob=\"true\">must be a percentage, such as 50 or 33.33</p>");
        assertThat(stub.seen()).noneMatch(r -> r.method().equals("POST"));
    }

    @Test
    void thePreviewAsksTheFlagServiceAndAnswersTheScriptWithAFragment() throws Exception {
        stub.answer(
                "/api/flags/checkout.v2/preview",
                200,
                "{\"variant\": \"blue\", \"value\": \"#00f\", \"reason\": \"SPLIT\", \"ruleId\": \"ios-new-app\","
                        + " \"treated\": true}");

        Response fragment = form().header("HX-Request", "true")
                .formParam("targetingKey", "u-1")
                .formParam("a0.name", "platform")
                .formParam("a0.value", "IOS")
                .formParam("a1.name", "appVersion")
                .formParam("a1.value", "4.3.0")
                .post("/flags/checkout.v2/preview");

        assertThat(fragment.statusCode()).isEqualTo(200);
        assertThat(fragment.asString())
                .startsWith("<div id=\"preview-result\"")
                .doesNotContain("<html")
                .contains("id=\"preview-variant\">blue</dd>")
                .contains("id=\"preview-reason\">SPLIT</dd>")
                .contains("rule 1 ios-new-app: in segment beta-testers and platform in [IOS] and appVersion semver"
                        + " &gt;= 4.2.0")
                .contains("With the rules as saved.");
        ServiceStub.Seen asked = only("POST");
        assertThat(asked.pathAndQuery()).isEqualTo("/api/flags/checkout.v2/preview");
        assertThat(JSON.readTree(asked.body()).toString())
                .isEqualTo("{\"context\":{\"targetingKey\":\"u-1\",\"platform\":\"IOS\",\"appVersion\":\"4.3.0\"}}");

        // Without a script: the whole page, the context kept.
        Response page = form().formParam("targetingKey", "u-1").post("/flags/checkout.v2/preview");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.asString())
                .contains("<h1>Who matches <code>checkout.v2</code>?</h1>")
                .contains("id=\"targetingKey\" name=\"targetingKey\" value=\"u-1\"")
                .contains("id=\"preview-variant\">blue</dd>");
    }

    @Test
    void theRuleEditorPreviewsItsDraftBeforeItIsSaved() throws Exception {
        stub.answer(
                "/api/flags/checkout.v2/preview",
                200,
                "{\"variant\": \"green\", \"value\": \"#0f0\", \"reason\": \"TARGETING_MATCH\", \"ruleId\": \"not-ios\","
                        + " \"treated\": true}");

        Response fragment = form().header("HX-Request", "true")
                .formParam("draft", "rule")
                .formParam("version", "7")
                .formParam("original", "not-ios")
                .formParam("id", "not-ios")
                .formParam("c0.attribute", "platform")
                .formParam("c0.operator", "IN")
                .formParam("c0.values", "ANDROID")
                .formParam("serves", "variant")
                .formParam("variant", "green")
                .formParam("targetingKey", "u-2")
                .formParam("a0.name", "platform")
                .formParam("a0.value", "ANDROID")
                .post("/flags/checkout.v2/preview");

        assertThat(fragment.asString())
                .contains("id=\"preview-variant\">green</dd>")
                .contains("rule 2 not-ios: platform in [ANDROID]")
                .contains("With the rule as drafted here: nothing is saved.");
        JsonNode sent = JSON.readTree(only("POST").body());
        assertThat(ids(sent.get("rules"))).containsExactly("ios-new-app", "not-ios");
        assertThat(sent.at("/rules/1/constraints/0/values/0").asText()).isEqualTo("ANDROID");
        assertThat(sent.at("/rules/1/constraints/0/negate").asBoolean()).isFalse();
        assertThat(stub.seen()).noneMatch(r -> r.method().equals("PATCH"));

        // Without a script, the editor's Preview button: the editor again, the draft kept, the answer under it.
        Response editor = form().formParam("do", "preview")
                .formParam("draft", "rule")
                .formParam("version", "7")
                .formParam("original", "not-ios")
                .formParam("id", "not-ios")
                .formParam("c0.attribute", "platform")
                .formParam("c0.values", "ANDROID")
                .formParam("serves", "variant")
                .formParam("variant", "green")
                .formParam("targetingKey", "u-2")
                .post("/flags/checkout.v2/rules");
        assertThat(editor.statusCode()).isEqualTo(200);
        assertThat(editor.asString())
                .contains("Rule <code>not-ios</code> of <code>checkout.v2</code>")
                .contains(">ANDROID</textarea>")
                .contains("id=\"preview-variant\">green</dd>");
    }

    @Test
    void aPreviewTheFlagServiceRefusesSaysWhy() {
        stub.answer(
                "/api/flags/checkout.v2/preview",
                400,
                """
                {"code": "INVALID_TARGETING", "message": "rule not-ios: 1 problem",
                 "problems": [{"path": "rules[1].constraints[0].values", "message": "rule not-ios: bad regex ("}]}
                """);
        Response fragment = form().header("HX-Request", "true")
                .formParam("draft", "rule")
                .formParam("original", "not-ios")
                .formParam("id", "not-ios")
                .formParam("c0.attribute", "userId")
                .formParam("c0.operator", "MATCHES")
                .formParam("c0.values", "(")
                .formParam("serves", "share")
                .formParam("targetingKey", "u-3")
                .post("/flags/checkout.v2/preview");
        assertThat(fragment.statusCode()).isEqualTo(200);
        assertThat(fragment.asString())
                .contains("id=\"preview-error\">The flag-service did not answer the preview: rule not-ios: 1 problem"
                        + " (INVALID_TARGETING)")
                .contains("<li>constraint 1, values: rule not-ios: bad regex (</li>");

        Response badContext = form().header("HX-Request", "true")
                .formParam("a0.name", "age")
                .formParam("a0.value", "old")
                .formParam("a0.type", "number")
                .post("/flags/checkout.v2/preview");
        assertThat(badContext.asString())
                .contains("The sample context needs a fix.", "age: &quot;old&quot; is not a number.");
    }

    @Test
    void segmentsAreListedMadeAndTheirDeletionRefusedWhileInUse() throws Exception {
        String list = page("/segments");
        assertThat(between(list, "id=\"segment-rows\"", "</tbody>"))
                .contains("data-segment=\"beta-testers\"")
                .contains("People who asked for it")
                .contains("<code>email ends with &quot;@example.com&quot; (ignoring case)</code>")
                .contains("<a href=\"/flags/checkout.v2#targeting\">checkout.v2</a>")
                .contains("href=\"/segments/beta-testers/delete\"");
        assertThat(list).contains("href=\"/segments\" aria-current=\"page\"");

        stub.answer("/api/segments", 201, "{\"key\": \"internal\"}");
        Response created = form().formParam("key", "internal")
                .formParam("description", "Our own accounts")
                .formParam("c0.attribute", "email")
                .formParam("c0.operator", "STR_ENDS_WITH")
                .formParam("c0.values", "@rollguard.dev")
                .formParam("c0.caseInsensitive", "on")
                .post("/segments");
        assertThat(created.statusCode()).isEqualTo(303);
        assertThat(created.header("Location")).endsWith("/segments?notice=created");
        assertThat(only("POST").body())
                .isEqualTo("{\"key\":\"internal\",\"description\":\"Our own accounts\",\"constraints\":[{\"attribute\":"
                        + "\"email\",\"operator\":\"STR_ENDS_WITH\",\"values\":[\"@rollguard.dev\"],\"negate\":false,"
                        + "\"caseInsensitive\":true}]}");

        stub.handle(
                "/api/segments/beta-testers",
                request -> request.method().equals("DELETE")
                        ? new ServiceStub.Answer(
                                409,
                                "{\"code\": \"SEGMENT_IN_USE\", \"message\": \"segment 'beta-testers' is used by flags"
                                        + " checkout.v2, search.new: remove it from their rules first\"}")
                        : new ServiceStub.Answer(
                                200,
                                "{\"key\": \"beta-testers\", \"constraints\": [{\"attribute\": \"email\", \"operator\":"
                                        + " \"STR_ENDS_WITH\", \"values\": [\"@example.com\"]}]}"));
        assertThat(page("/segments/beta-testers/delete")).contains("email ends with &quot;@example.com&quot;");
        Response refused = form().post("/segments/beta-testers/delete");
        assertThat(refused.statusCode()).isEqualTo(409);
        assertThat(refused.asString())
                .contains(
                        "id=\"confirm-error\">The flag-service refused: segment &#39;beta-testers&#39; is used by flags"
                                + " checkout.v2, search.new: remove it from their rules first (SEGMENT_IN_USE)")
                .contains("<li><a href=\"/flags/checkout.v2#targeting\">checkout.v2</a></li>")
                .contains("<li><a href=\"/flags/search.new#targeting\">search.new</a></li>");
        assertThat(stub.seen())
                .anyMatch(r -> r.method().equals("DELETE") && r.pathAndQuery().equals("/api/segments/beta-testers"));
    }

    @Test
    void aSegmentDeletionCarriesItsReasonForTheAuditLog() {
        stub.handle(
                "/api/segments/old-testers",
                request -> request.method().equals("DELETE")
                        ? new ServiceStub.Answer(204, "")
                        : new ServiceStub.Answer(200, "{\"key\": \"old-testers\", \"constraints\": []}"));

        assertThat(page("/segments/old-testers/delete")).contains("<textarea id=\"reason\" name=\"reason\"");
        Response deleted =
                form().formParam("reason", "  no longer used & done ").post("/segments/old-testers/delete");

        assertThat(deleted.statusCode()).isEqualTo(303);
        assertThat(stub.seen())
                .anyMatch(r -> r.method().equals("DELETE")
                        && r.pathAndQuery().equals("/api/segments/old-testers?reason=no%20longer%20used%20%26%20done"));
    }

    @Test
    void aSegmentEditIsAPutAndItsProblemsGoToTheRow() {
        stub.handle(
                "/api/segments/beta-testers",
                request -> request.method().equals("PUT")
                        ? new ServiceStub.Answer(
                                400,
                                "{\"code\": \"INVALID_TARGETING\", \"message\": \"1 problem\", \"problems\": [{\"path\":"
                                        + " \"constraints[0].values\", \"message\": \"'x' is not a number\"}]}")
                        : new ServiceStub.Answer(
                                200, "{\"key\": \"beta-testers\", \"constraints\": [], \"version\": 3}"));
        assertThat(page("/segments/beta-testers/edit"))
                .contains("value=\"beta-testers\" required readonly")
                .contains("name=\"version\" value=\"3\"");
        Response refused = form().formParam("key", "something-else")
                .formParam("version", "3")
                .formParam("c0.attribute", "age")
                .formParam("c0.operator", "NUM_GT")
                .formParam("c0.values", "x")
                .post("/segments/beta-testers/edit");
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(refused.asString()).contains("id=\"constraint-0-error\">values: &#39;x&#39; is not a number</p>");
        ServiceStub.Seen put = only("PUT");
        assertThat(put.pathAndQuery()).isEqualTo("/api/segments/beta-testers");
        assertThat(put.ifMatch()).isEqualTo("\"3\"");
        // The key is the page's, whatever the form says.
        assertThat(put.body()).startsWith("{\"key\":\"beta-testers\"");
    }

    @Test
    void readOnlySessionsSeeTheRulesAndPreviewButChangeNothing() {
        stub.answer(
                "/api/flags/checkout.v2/preview",
                200,
                "{\"variant\": \"off\", \"value\": \"grey\", \"reason\": \"DEFAULT\", \"ruleId\": null,"
                        + " \"treated\": false}");
        session = sessions.open(TOKEN, "read-only", false);
        String page = page("/flags/checkout.v2");
        assertThat(page)
                .contains("data-rule=\"ios-new-app\"")
                .doesNotContain("id=\"add-rule\"")
                .doesNotContain("/rules/ios-new-app/edit")
                .doesNotContain("id=\"edit-weights\"")
                .contains("id=\"preview-form\"");
        assertThat(form().formParam("id", "x").post("/flags/checkout.v2/rules").statusCode())
                .isEqualTo(403);
        assertThat(form().formParam("direction", "up")
                        .post("/flags/checkout.v2/rules/not-ios/move")
                        .statusCode())
                .isEqualTo(403);
        assertThat(form().post("/segments/beta-testers/delete").statusCode()).isEqualTo(403);
        assertThat(sessionRequest().get("/segments").asString())
                .contains("data-segment=\"beta-testers\"")
                .doesNotContain("/delete\"");
        Response preview = form().header("HX-Request", "true")
                .formParam("targetingKey", "u-9")
                .post("/flags/checkout.v2/preview");
        assertThat(preview.asString()).contains("id=\"preview-reason\">DEFAULT</dd>", "none: no rule matched");
        Response forged = sessionRequest()
                .contentType("application/x-www-form-urlencoded")
                .formParam("_csrf", "forged")
                .formParam("targetingKey", "u-9")
                .post("/flags/checkout.v2/preview");
        assertThat(forged.statusCode()).isEqualTo(403);
        assertThat(stub.seen())
                .noneMatch(r -> !r.method().equals("GET") && !r.pathAndQuery().endsWith("/preview"));
    }

    private void refusePatch(int status, String body) {
        stub.handle(
                "/api/flags/checkout.v2",
                request -> request.method().equals("PATCH")
                        ? new ServiceStub.Answer(status, body)
                        : new ServiceStub.Answer(200, FLAG));
    }

    private static ServiceStub.Seen only(String method) {
        List<ServiceStub.Seen> requests =
                stub.seen().stream().filter(r -> r.method().equals(method)).toList();
        assertThat(requests).as(method + " requests").hasSize(1);
        return requests.get(0);
    }

    private static JsonNode readPatch() {
        try {
            return JSON.readTree(only("PATCH").body()).get("rules");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static List<String> ids(JsonNode rules) {
        List<String> ids = new ArrayList<>();
        rules.forEach(r -> ids.add(r.path("id").asText()));
        return ids;
    }

    private RequestSpecification weightsDraft(String blue, String green) {
        return form().formParam("draft", "weights")
                .formParam("version", "7")
                .formParam("w0.variant", "blue")
                .formParam("w0.weight", blue)
                .formParam("w1.variant", "green")
                .formParam("w1.weight", green)
                .formParam("targetingKey", "u-7");
    }

    private RequestSpecification sessionRequest() {
        return given().redirects().follow(false).cookie(SessionStore.COOKIE, session.id());
    }

    private RequestSpecification form() {
        return sessionRequest().contentType("application/x-www-form-urlencoded").formParam("_csrf", session.csrf());
    }

    private String page(String path) {
        Response response = sessionRequest().get(path);
        assertThat(response.statusCode()).as(path + ": " + response.asString()).isEqualTo(200);
        return response.asString();
    }

    private static String between(String page, String from, String to) {
        int start = page.indexOf(from);
        assertThat(start).as(from).isNotNegative();
        int end = page.indexOf(to, start);
        assertThat(end).as(to).isPositive();
        return page.substring(start, end);
    }
}
