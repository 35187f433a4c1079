package dev.rollguard.console.view;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * The flag-service's answer to a "who matches" preview ({@code POST /api/flags/{key}/preview}): the variant and value
 * served, the reason (TARGETING_MATCH, SPLIT, DEFAULT, DISABLED, STATIC, ERROR), the rule that matched, whether the
 * subject is treated; or why there is no answer. {@code draft} says what the answer was asked with that is not yet
 * saved: {@link #RULE} (a rule being edited), {@link #WEIGHTS} (the variant weights as typed), or null (as saved).
 */
public record PreviewAnswer(
        boolean asked,
        String draft,
        String variant,
        String value,
        String reason,
        String ruleId,
        String ruleText,
        Boolean treated,
        String error,
        List<String> problems) {

    public static final String RULE = "rule";
    public static final String WEIGHTS = "weights";

    public String treatedLabel() {
        if (treated == null) {
            return "-";
        }
        return treated ? "yes (the treatment)" : "no (the control)";
    }

    public static PreviewAnswer none() {
        return new PreviewAnswer(false, null, null, null, null, null, null, null, null, List.of());
    }

    public static PreviewAnswer failed(String draft, String error, List<String> problems) {
        return new PreviewAnswer(true, draft, null, null, null, null, null, null, error, problems);
    }

    /** The answer; {@code rules} are the rules it was asked with, to say what the matched one requires. */
    public static PreviewAnswer of(JsonNode answer, JsonNode rules, String draft) {
        String ruleId = Json.text(answer, "ruleId");
        String ruleText = null;
        if (ruleId != null) {
            List<RuleView> views = RuleView.list(rules);
            ruleText = views.stream()
                    .filter(r -> r.id().equals(ruleId))
                    .findFirst()
                    .map(r -> "rule " + (r.index() + 1) + " " + r.id()
                            + (r.matchesEveryone()
                                    ? " (matches everyone)"
                                    : ": " + String.join(" and ", r.conditions())))
                    .orElse("rule " + ruleId);
        }
        JsonNode value = answer.get("value");
        return new PreviewAnswer(
                true,
                draft,
                Json.text(answer, "variant"),
                value == null ? null : value.toString(),
                Json.text(answer, "reason"),
                ruleId,
                ruleText,
                answer.path("treated").isBoolean() ? answer.get("treated").asBoolean() : null,
                null,
                List.of());
    }
}
