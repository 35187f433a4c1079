package dev.rollguard.console.rest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollguard.console.client.ApiResult;
import jakarta.ws.rs.core.MultivaluedHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The rule, segment, weights and sample-context forms: what they send the flag-service, and where its problems
 * ({@code rules[1].constraints[0].values}) are shown.
 */
class TargetingFormsTest {

    private final ObjectMapper json = new ObjectMapper();

    private static MultivaluedHashMap<String, String> params(String... keysAndValues) {
        MultivaluedHashMap<String, String> params = new MultivaluedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            params.putSingle(keysAndValues[i], keysAndValues[i + 1]);
        }
        return params;
    }

    @Test
    void aRuleFormBecomesTheContractsRuleWithoutItsEmptyRows() {
        RuleForm form = RuleForm.of(params(
                "id", " ios-new-app ",
                "description", "iOS 4.2+",
                "segments", "beta-testers, staff",
                "c0.attribute", "platform",
                "c0.operator", "IN",
                "c0.values", "IOS\n\n ANDROID \n",
                "c0.negate", "on",
                "c1.attribute", "",
                "c1.values", "",
                "c2.attribute", "appVersion",
                "c2.operator", "SEMVER_GTE",
                "c2.values", "4.2.0",
                "c2.caseInsensitive", "on",
                "serves", "share",
                "rolloutPercentage", "25"));

        ObjectNode rule = form.toJson(json);

        assertThat(rule).isNotNull();
        assertThat(rule.toString())
                .isEqualTo("{\"id\":\"ios-new-app\",\"description\":\"iOS 4.2+\",\"segments\":[\"beta-testers\","
                        + "\"staff\"],\"constraints\":[{\"attribute\":\"platform\",\"operator\":\"IN\","
                        + "\"values\":[\"IOS\",\"ANDROID\"],\"negate\":true,\"caseInsensitive\":false},"
                        + "{\"attribute\":\"appVersion\",\"operator\":\"SEMVER_GTE\",\"values\":[\"4.2.0\"],"
                        + "\"negate\":false,\"caseInsensitive\":true}],\"variant\":null,\"rolloutPercentage\":25}");
        assertThat(form.creating()).isTrue();
    }

    @Test
    void aVariantRuleNeedsItsVariantAndAShareMustBeANumber() {
        RuleForm noVariant = RuleForm.of(params("id", "r", "serves", "variant", "variant", ""));
        assertThat(noVariant.toJson(json)).isNull();
        assertThat(noVariant.error("variant")).isEqualTo("choose the variant the rule serves");

        RuleForm badShare = RuleForm.of(params("id", "r", "serves", "share", "rolloutPercentage", "half"));
        assertThat(badShare.toJson(json)).isNull();
        assertThat(badShare.error("rolloutPercentage")).contains("number");

        RuleForm blue = RuleForm.of(params("id", "r", "serves", "variant", "variant", "blue"));
        assertThat(blue.toJson(json).toString()).contains("\"variant\":\"blue\"", "\"rolloutPercentage\":null");
    }

    @Test
    void rowsAreAddedAndRemovedWithoutSending() {
        RuleForm added = RuleForm.of(params("id", "r", "c0.attribute", "platform", "do", "add-constraint"));
        assertThat(added.rows()).hasSize(2);
        assertThat(added.rows().get(1).blank()).isTrue();

        RuleForm removed = RuleForm.of(params(
                "c0.attribute",
                "platform",
                "c1.attribute",
                "country",
                "c2.attribute",
                "appVersion",
                "do",
                "remove-constraint:1"));
        assertThat(removed.rows()).extracting(ConstraintRow::attribute).containsExactly("platform", "appVersion");
        assertThat(removed.rows()).extracting(ConstraintRow::index).containsExactly(0, 1);
    }

    @Test
    void theFlagServicesProblemsGoToTheRowTheyNameCountingOnlyTheRowsSent() {
        RuleForm form = RuleForm.of(params(
                "id", "ios",
                "c0.attribute", "",
                "c0.values", "",
                "c1.attribute", "platform",
                "c1.values", "IOS",
                "c2.attribute", "appVersion",
                "c2.operator", "SEMVER_GTE",
                "c2.values", "4.2"));
        assertThat(form.toJson(json)).isNotNull();
        Map<String, String> problems = new LinkedHashMap<>();
        problems.put("rules[1].constraints[1].values", "rule ios: '4.2' is not a semantic version");
        problems.put("rules[1].id", "rule ios: duplicate rule id");
        problems.put("rules[0].segments[0]", "rule other: unknown segment nope");

        List<String> elsewhere = form.addProblems("rules[1]", problems);

        // The second constraint sent is the third row: the empty first row was not sent.
        assertThat(form.rows().get(2).error("values")).isEqualTo("rule ios: '4.2' is not a semantic version");
        assertThat(form.rows().get(2).problems()).containsExactly("values: rule ios: '4.2' is not a semantic version");
        assertThat(form.rows().get(1).invalid()).isFalse();
        assertThat(form.error("id")).isEqualTo("rule ios: duplicate rule id");
        assertThat(elsewhere).containsExactly("rules[0].segments[0]: rule other: unknown segment nope");
        assertThat(form.invalid()).isTrue();
    }

    @Test
    void aStoredRuleFillsTheFormWithARowToSpare() throws Exception {
        RuleForm form = RuleForm.of(
                json.readTree(
                        """
                        {"id": "ios", "description": null, "segments": ["beta"],
                         "constraints": [{"attribute": "platform", "operator": "NOT_IN", "values": ["IOS", "WEB"],
                                          "negate": true, "caseInsensitive": true}],
                         "variant": null, "rolloutPercentage": 12.5}
                        """),
                7);
        assertThat(form.original()).isEqualTo("ios");
        assertThat(form.version()).isEqualTo("7");
        assertThat(form.segments()).isEqualTo("beta");
        assertThat(form.rolloutPercentage()).isEqualTo("12.5");
        assertThat(form.serves()).isEqualTo("share");
        assertThat(form.rows()).hasSize(2);
        ConstraintRow row = form.rows().get(0);
        assertThat(row.operator()).isEqualTo("NOT_IN");
        assertThat(row.values()).isEqualTo("IOS\nWEB\n");
        assertThat(row.negate()).isTrue();
        assertThat(row.caseInsensitive()).isTrue();
    }

    @Test
    void aSegmentFormSendsKeyDescriptionAndConstraints() {
        SegmentForm form = SegmentForm.of(params(
                "key", "beta-testers",
                "description", "",
                "c0.attribute", "email",
                "c0.operator", "STR_ENDS_WITH",
                "c0.values", "@example.com",
                "c1.attribute", "",
                "c1.values", "",
                "c2.attribute", "age",
                "c2.operator", "NUM_GTE",
                "c2.values", "eighteen"));
        ObjectNode body = form.toJson(json);
        assertThat(body.toString())
                .startsWith("{\"key\":\"beta-testers\",\"description\":null,\"constraints\":[{\"attribute\":\"email\"");
        assertThat(body.get("constraints")).hasSize(2);

        List<String> elsewhere = form.addProblems(Map.of("constraints[1].values", "'eighteen' is not a number"));
        assertThat(elsewhere).isEmpty();
        assertThat(form.rows().get(2).error("values")).isEqualTo("'eighteen' is not a number");
    }

    @Test
    void weightsAreSentForTheVariantsGivenOneAndProblemsComeBackToThem() throws Exception {
        WeightsForm stored = WeightsForm.of(
                json.readTree(
                        """
                {"version": 4, "offVariant": "off", "treatmentVariant": "blue",
                 "variants": {"off": "grey", "blue": "#00f", "green": "#0f0", "red": "#f00"},
                 "variantWeights": [{"variant": "blue", "weight": 50.00}, {"variant": "green", "weight": 50}]}
                """));
        assertThat(stored.version()).isEqualTo("4");
        assertThat(stored.rows())
                .extracting(WeightsForm.Row::variant, WeightsForm.Row::weight)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("blue", "50"),
                        org.assertj.core.groups.Tuple.tuple("green", "50"),
                        org.assertj.core.groups.Tuple.tuple("red", ""));

        WeightsForm form = WeightsForm.of(params(
                "version", "4",
                "w0.variant", "blue",
                "w0.weight", "50",
                "w1.variant", "green",
                "w1.weight", "",
                "w2.variant", "red",
                "w2.weight", "40"));
        ArrayNode weights = form.toJson(json);
        assertThat(weights.toString())
                .isEqualTo("[{\"variant\":\"blue\",\"weight\":50},{\"variant\":\"red\",\"weight\":40}]");
        form.addProblems(Map.of(
                "variantWeights", "weights sum to 90, not 100", "variantWeights[1].variant", "red is not a variant"));
        assertThat(form.rows().get(2).error()).isEqualTo("red is not a variant");
        assertThat(form.rows().get(1).error()).isNull();
        assertThat(form.errors()).containsExactly("weights sum to 90, not 100");

        WeightsForm bad = WeightsForm.of(params("w0.variant", "blue", "w0.weight", "lots"));
        assertThat(bad.toJson(json)).isNull();
        assertThat(bad.rows().get(0).error()).contains("percentage");
    }

    @Test
    void theSampleContextIsTypedAsOfrepCarriesIt() {
        PreviewForm form = PreviewForm.of(params(
                "targetingKey", "u-1",
                "a0.name", "platform",
                "a0.value", "IOS",
                "a1.name", "",
                "a1.value", "",
                "a2.name", "age",
                "a2.value", "42",
                "a2.type", "number",
                "a3.name", "beta",
                "a3.value", "TRUE",
                "a3.type", "boolean"));
        assertThat(form.context(json).toString())
                .isEqualTo("{\"targetingKey\":\"u-1\",\"platform\":\"IOS\",\"age\":42,\"beta\":true}");
        assertThat(form.attributes()).hasSize(4);

        PreviewForm bad = PreviewForm.of(params("a0.name", "age", "a0.value", "old", "a0.type", "number"));
        assertThat(bad.context(json)).isNull();
        assertThat(bad.errors()).containsExactly("age: \"old\" is not a number.");
    }

    @Test
    void aRefusalNamesProblemsAndViolationsAlike() throws Exception {
        ApiResult refusal = new ApiResult(
                400,
                json.readTree(
                        """
                        {"code": "INVALID_TARGETING", "message": "2 problems",
                         "problems": [{"path": "rules[0].constraints[0].values", "message": "bad regex"},
                                      {"path": "variantWeights", "message": "weights sum to 90"}],
                         "violations": [{"field": "rules[0].id", "message": "must not be blank"}]}
                        """),
                "",
                null);
        assertThat(refusal.problems())
                .containsExactly(
                        Map.entry("rules[0].constraints[0].values", "bad regex"),
                        Map.entry("variantWeights", "weights sum to 90"),
                        Map.entry("rules[0].id", "must not be blank"));
    }

    @Test
    void theFlagsInUseAreReadFromTheRefusalOrTheSegment() throws Exception {
        JsonNode noUsers = json.readTree("{\"key\": \"beta\"}");
        ApiResult withList = new ApiResult(
                409,
                json.readTree("{\"code\": \"SEGMENT_IN_USE\", \"message\": \"segment 'beta' is used by flags a, b\","
                        + " \"flags\": [\"a\", \"b\"]}"),
                "",
                null);
        assertThat(SegmentPagesResource.usedBy(withList, noUsers)).containsExactly("a", "b");
        ApiResult messageOnly = new ApiResult(
                409,
                json.readTree("{\"code\": \"SEGMENT_IN_USE\", \"message\": \"segment 'beta' is used by flags"
                        + " checkout.v2, search.new: remove it from their rules first\"}"),
                "",
                null);
        assertThat(SegmentPagesResource.usedBy(messageOnly, noUsers)).containsExactly("checkout.v2", "search.new");
        assertThat(SegmentPagesResource.usedBy(
                        messageOnly, json.readTree("{\"key\": \"beta\", \"usedBy\": [\"checkout.v3\"]}")))
                .containsExactly("checkout.v3");
        ApiResult other = new ApiResult(
                404, json.readTree("{\"code\": \"NOT_FOUND\", \"message\": \"used by flags x\"}"), "", null);
        assertThat(SegmentPagesResource.usedBy(other, noUsers)).isEmpty();
    }
}
