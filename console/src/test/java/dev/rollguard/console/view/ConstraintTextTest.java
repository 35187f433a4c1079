package dev.rollguard.console.view;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Constraints and rules as an operator reads them on the flag page. */
class ConstraintTextTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode parse(String text) throws Exception {
        return JSON.readTree(text);
    }

    @Test
    void eachOperatorReadsAsWritten() throws Exception {
        assertThat(ConstraintText.of(
                        parse("{\"attribute\":\"appVersion\",\"operator\":\"SEMVER_GTE\",\"values\":[\"4.2.0\"]}")))
                .isEqualTo("appVersion semver >= 4.2.0");
        assertThat(ConstraintText.of(
                        parse("{\"attribute\":\"platform\",\"operator\":\"IN\",\"values\":[\"IOS\"],\"negate\":true}")))
                .isEqualTo("not platform in [IOS]");
        assertThat(ConstraintText.of("country", "NOT_IN", List.of("FR", "DE"), false, false))
                .isEqualTo("country not in [FR, DE]");
        assertThat(ConstraintText.of("email", "STR_ENDS_WITH", List.of("@example.com"), false, true))
                .isEqualTo("email ends with \"@example.com\" (ignoring case)");
        assertThat(ConstraintText.of("email", "STR_STARTS_WITH", List.of("qa", "test"), false, false))
                .isEqualTo("email starts with any of [\"qa\", \"test\"]");
        assertThat(ConstraintText.of("name", "STR_CONTAINS", List.of("bot"), false, false))
                .isEqualTo("name contains \"bot\"");
        assertThat(ConstraintText.of("userId", "MATCHES", List.of("^qa-\\d+$"), false, false))
                .isEqualTo("userId matches (regex) /^qa-\\d+$/");
        assertThat(ConstraintText.of("age", "NUM_GTE", List.of("18"), false, false))
                .isEqualTo("age >= 18");
        assertThat(ConstraintText.of("age", "NUM_LT", List.of("65"), true, false))
                .isEqualTo("not age < 65");
        assertThat(ConstraintText.of("signup", "DATE_BEFORE", List.of("2026-01-01T00:00:00Z"), false, false))
                .isEqualTo("signup before 2026-01-01T00:00:00Z");
        assertThat(ConstraintText.of("signup", "DATE_AFTER", List.of("2026-01-01T00:00:00Z"), false, false))
                .isEqualTo("signup after 2026-01-01T00:00:00Z");
        // An operator the console does not know yet is shown by its name, never dropped.
        assertThat(ConstraintText.of("x", "GEO_NEAR", List.of("1"), false, false))
                .isEqualTo("x GEO_NEAR 1");
        assertThat(ConstraintText.OPERATOR_CHOICES).hasSize(18);
    }

    @Test
    void rulesSayWhatTheyMatchAndServe() throws Exception {
        JsonNode rules = parse(
                """
                [{"id": "ios-new-app", "description": "iOS 4.2+", "segments": ["beta-testers"],
                  "constraints": [{"attribute": "platform", "operator": "IN", "values": ["IOS"]},
                                  {"attribute": "appVersion", "operator": "SEMVER_GTE", "values": ["4.2.0"]}],
                  "variant": null, "rolloutPercentage": 25.50},
                 {"id": "staff", "segments": [], "constraints": [], "variant": "blue"}]
                """);

        List<RuleView> views = RuleView.list(rules);

        assertThat(views).hasSize(2);
        RuleView first = views.get(0);
        assertThat(first.number()).isEqualTo(1);
        assertThat(first.first()).isTrue();
        assertThat(first.last()).isFalse();
        assertThat(first.conditions())
                .containsExactly("in segment beta-testers", "platform in [IOS]", "appVersion semver >= 4.2.0");
        assertThat(first.serves()).startsWith("25.5 % of matching subjects get the treatment");
        RuleView second = views.get(1);
        assertThat(second.last()).isTrue();
        assertThat(second.matchesEveryone()).isTrue();
        assertThat(second.serves()).isEqualTo("serves blue");
        assertThat(second.description()).isNull();
    }

    @Test
    void aPreviewAnswerNamesTheRuleThatMatchedAndWhatItRequires() throws Exception {
        JsonNode rules =
                parse("[{\"id\": \"ios\", \"constraints\": [{\"attribute\": \"platform\", \"operator\": \"IN\","
                        + " \"values\": [\"IOS\"]}], \"variant\": \"blue\"}]");
        PreviewAnswer answer = PreviewAnswer.of(
                parse("{\"variant\": \"blue\", \"value\": \"#00f\", \"reason\": \"TARGETING_MATCH\","
                        + " \"ruleId\": \"ios\", \"treated\": true}"),
                rules,
                PreviewAnswer.RULE);

        assertThat(answer.ruleText()).isEqualTo("rule 1 ios: platform in [IOS]");
        assertThat(answer.value()).isEqualTo("\"#00f\"");
        assertThat(answer.treatedLabel()).isEqualTo("yes (the treatment)");
        assertThat(answer.draft()).isEqualTo(PreviewAnswer.RULE);

        PreviewAnswer fallThrough = PreviewAnswer.of(
                parse("{\"variant\": \"off\", \"value\": false, \"reason\": \"DEFAULT\", \"ruleId\": null,"
                        + " \"treated\": false}"),
                rules,
                null);
        assertThat(fallThrough.ruleText()).isNull();
        assertThat(fallThrough.treatedLabel()).isEqualTo("no (the control)");
    }
}
