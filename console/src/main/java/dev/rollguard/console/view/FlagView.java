package dev.rollguard.console.view;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** A flag as the flag-service's admin API answers it, shaped for the pages. */
public record FlagView(
        String key,
        String description,
        String owner,
        String type,
        boolean enabled,
        boolean killed,
        String killReason,
        boolean archived,
        boolean paused,
        String parent,
        String rolloutPercentage,
        List<Stage> stages,
        Integer currentStage,
        Instant stageEnteredAt,
        String guardAction,
        boolean guardDryRun,
        long guardCooldownSeconds,
        long version,
        Instant updatedAt,
        String updatedBy,
        JsonNode raw) {

    /** One step of the rollout plan; {@code position} is past, current or next. */
    public record Stage(int index, String name, String percentage, long minSoakSeconds, String position) {}

    /** One word for the table: KILLED wins over everything, then ARCHIVED, PAUSED, ON, OFF. */
    public String state() {
        if (killed) {
            return "KILLED";
        }
        if (archived) {
            return "ARCHIVED";
        }
        if (!enabled) {
            return "OFF";
        }
        return paused ? "PAUSED" : "ON";
    }

    public String stageLabel() {
        if (currentStage == null || currentStage >= stages.size()) {
            return stages.isEmpty() ? "no plan" : "not started";
        }
        Stage stage = stages.get(currentStage);
        return (currentStage + 1) + "/" + stages.size() + " " + stage.name();
    }

    public Stage nextStage() {
        int next = currentStage == null ? 0 : currentStage + 1;
        return next < stages.size() ? stages.get(next) : null;
    }

    public Stage previousStage() {
        return currentStage == null || currentStage == 0 ? null : stages.get(currentStage - 1);
    }

    public String guardLabel() {
        return guardAction == null
                ? "default"
                : guardAction + (guardDryRun ? " (dry run)" : "") + ", cooldown " + guardCooldownSeconds + " s";
    }

    /** The targeting rules, in the order they are tried. */
    public List<RuleView> rules() {
        return RuleView.list(raw.path("rules"));
    }

    /** The weighted split ({@code blue 50 %}), empty when treated subjects get the treatment variant. */
    public List<String> weights() {
        List<String> weights = new ArrayList<>();
        raw.path("variantWeights")
                .forEach(w -> weights.add(w.path("variant").asText() + " " + percent(w.get("weight")) + " %"));
        return weights;
    }

    public String treatmentVariant() {
        return raw.path("treatmentVariant").asText("on");
    }

    public String offVariant() {
        return raw.path("offVariant").asText("off");
    }

    public boolean matches(String query) {
        if (query == null || query.isBlank()) {
            return true;
        }
        String q = query.strip().toLowerCase(java.util.Locale.ROOT);
        return key.toLowerCase(java.util.Locale.ROOT).contains(q)
                || (description != null
                        && description.toLowerCase(java.util.Locale.ROOT).contains(q))
                || (owner != null && owner.toLowerCase(java.util.Locale.ROOT).contains(q))
                || state().toLowerCase(java.util.Locale.ROOT).equals(q);
    }

    public static String percent(JsonNode value) {
        return value == null || !value.isNumber()
                ? ""
                : new BigDecimal(value.asText()).stripTrailingZeros().toPlainString();
    }

    public static FlagView of(JsonNode n) {
        Integer current = n.hasNonNull("currentStage") ? n.get("currentStage").asInt() : null;
        List<Stage> stages = new ArrayList<>();
        int i = 0;
        for (JsonNode s : n.path("stages")) {
            String position = current == null ? "next" : i < current ? "past" : i == current ? "current" : "next";
            stages.add(new Stage(
                    i,
                    s.path("name").asText(),
                    percent(s.get("percentage")),
                    s.path("minSoakSeconds").asLong(),
                    position));
            i++;
        }
        JsonNode guard = n.path("guardPolicy");
        return new FlagView(
                n.path("key").asText(),
                Json.text(n, "description"),
                Json.text(n, "owner"),
                Json.text(n, "type"),
                n.path("enabled").asBoolean(),
                n.path("killed").asBoolean(),
                Json.text(n, "killReason"),
                n.path("archived").asBoolean(),
                n.path("paused").asBoolean(),
                Json.text(n, "parent"),
                percent(n.get("rolloutPercentage")),
                stages,
                current,
                Json.instant(n, "stageEnteredAt"),
                guard.isObject() ? Json.text(guard, "action") : null,
                guard.path("dryRun").asBoolean(),
                guard.path("cooldownSeconds").asLong(),
                n.path("version").asLong(),
                Json.instant(n, "updatedAt"),
                Json.text(n, "updatedBy"),
                n);
    }
}
