package dev.rollguard.console.view;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * One targeting rule of a flag as the flag page lists it: its place in the order, id, description, the segments and
 * constraints a subject must all satisfy (readable), and what it serves: a variant, or its own share of the treatment.
 */
public record RuleView(
        int index,
        String id,
        String description,
        List<String> segments,
        List<String> constraints,
        String variant,
        String share,
        boolean first,
        boolean last) {

    /** Its place in the order, from 1. */
    public int number() {
        return index + 1;
    }

    /** What the rule serves, in words. */
    public String serves() {
        if (variant != null) {
            return "serves " + variant;
        }
        return share + " % of matching subjects get the treatment (the rest the off variant)";
    }

    /** The segments and constraints, in words, in the order the subject must satisfy them all. */
    public List<String> conditions() {
        List<String> all = new ArrayList<>();
        segments.forEach(segment -> all.add("in segment " + segment));
        all.addAll(constraints);
        return all;
    }

    public boolean matchesEveryone() {
        return segments.isEmpty() && constraints.isEmpty();
    }

    public static List<RuleView> list(JsonNode rules) {
        List<RuleView> views = new ArrayList<>();
        int count = rules.size();
        int i = 0;
        for (JsonNode rule : rules) {
            views.add(of(rule, i, count));
            i++;
        }
        return views;
    }

    static RuleView of(JsonNode rule, int index, int count) {
        List<String> segments = new ArrayList<>();
        rule.path("segments").forEach(s -> segments.add(s.asText()));
        List<String> constraints = new ArrayList<>();
        rule.path("constraints").forEach(c -> constraints.add(ConstraintText.of(c)));
        JsonNode share = rule.get("rolloutPercentage");
        return new RuleView(
                index,
                rule.path("id").asText(""),
                Json.text(rule, "description"),
                segments,
                constraints,
                Json.text(rule, "variant"),
                share == null || share.isNull() ? "100" : FlagView.percent(share),
                index == 0,
                index == count - 1);
    }
}
