package dev.rollguard.console.view;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.console.client.ApiResult;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the rollback-service's promoter makes of a flag's current stage ({@code GET /api/promotions?flag=}): its
 * decision, what it waits for, the clients per cohort against the stage's minimum, the guard's verdict it read, and
 * when it expects to promote. {@code error} says why there is no assessment to show: the promoter is unreachable,
 * answers an error, or does not watch the flag ({@code watched} false).
 */
public record PromoterView(
        boolean watched,
        String error,
        String decision,
        String promotion,
        Integer stage,
        String stageName,
        String nextStageName,
        String nextPercentage,
        Long stageVersion,
        List<String> waitingFor,
        List<String> reasons,
        Long soakRemainingSeconds,
        Long minClientsPerCohort,
        Long treatedClients,
        Long controlClients,
        String verdict,
        Double confidence,
        Instant deadline,
        boolean extended,
        Instant expectedPromotionAt,
        Instant assessedAt) {

    private static final Map<String, String> WAITING = Map.of(
            "SOAK", "the stage's soak time",
            "MIN_CLIENTS", "enough clients in each cohort",
            "VERDICT", "the guard's verdict of no regression",
            "ALERTS", "no guard alert firing or pending",
            "REGRESSION", "the regression to be dealt with");

    public static PromoterView of(ApiResult result, String flagKey) {
        if (!result.ok()) {
            String why =
                    switch (result.status()) {
                        case 404 -> "the rollback-service has no promoter (HTTP 404).";
                        case 401, 403 -> "your token may not read it (" + result.code() + ").";
                        default ->
                            result.body().hasNonNull("message")
                                    ? result.message() + " (" + result.code() + ")."
                                    : result.consoleAccount()
                                                    || result.status() == 503
                                                            && result.body().isMissingNode()
                                            ? result.message() + "."
                                            : "the rollback-service answered HTTP " + result.status() + ".";
                    };
            return unavailable("The promoter's view is unavailable: " + why);
        }
        if (!result.body().isArray()) {
            return unavailable("The promoter's view is unavailable: the rollback-service's answer is not a list.");
        }
        for (JsonNode n : result.body()) {
            if (flagKey.equals(n.path("flagKey").asText())) {
                return of(n);
            }
        }
        return new PromoterView(
                false, null, null, null, null, null, null, null, null, List.of(), List.of(), null, null, null, null,
                null, null, null, false, null, null);
    }

    static PromoterView unavailable(String error) {
        return new PromoterView(
                false, error, null, null, null, null, null, null, null, List.of(), List.of(), null, null, null, null,
                null, null, null, false, null, null);
    }

    static PromoterView of(JsonNode n) {
        return new PromoterView(
                true,
                null,
                Json.text(n, "decision"),
                upper(Json.text(n, "promotion")),
                Json.lng(n, "stage") == null ? null : n.get("stage").asInt(),
                Json.text(n, "stageName"),
                Json.text(n, "nextStageName"),
                n.hasNonNull("nextPercentage") ? FlagView.percent(n.get("nextPercentage")) : null,
                Json.lng(n, "stageVersion"),
                texts(n.path("waitingFor")),
                texts(n.path("reasons")),
                Json.lng(n, "soakRemainingSeconds"),
                Json.lng(n, "minClientsPerCohort"),
                Json.lng(n, "treatedClients"),
                Json.lng(n, "controlClients"),
                Json.text(n, "verdict"),
                Json.dbl(n, "confidence"),
                Json.instant(n, "deadline"),
                n.path("extended").asBoolean(),
                Json.instant(n, "expectedPromotionAt"),
                Json.instant(n, "assessedAt"));
    }

    public boolean available() {
        return error == null;
    }

    /** Both cohorts have at least the stage's minimum of clients. */
    public boolean minimumsMet() {
        return minClientsPerCohort != null
                && treatedClients != null
                && controlClients != null
                && treatedClients >= minClientsPerCohort
                && controlClients >= minClientsPerCohort;
    }

    /** {@code 120 treated, 900 control; 200 needed in each}. */
    public String clientsLabel() {
        if (treatedClients == null && controlClients == null) {
            return "-";
        }
        return count(treatedClients) + " treated, " + count(controlClients) + " control"
                + (minClientsPerCohort == null ? "" : "; " + minClientsPerCohort + " needed in each");
    }

    /** What the promoter waits for, in words. */
    public List<String> waitingLabels() {
        List<String> labels = new ArrayList<>();
        for (String w : waitingFor) {
            String label = WAITING.getOrDefault(w, w.toLowerCase(Locale.ROOT).replace('_', ' '));
            if (w.equals("SOAK") && soakRemainingSeconds != null && soakRemainingSeconds > 0) {
                label += " (" + soakRemainingSeconds + " s left)";
            }
            labels.add(label);
        }
        return labels;
    }

    /** {@code HEALTHY at 99 % confidence}; a dash without a verdict. */
    public String verdictLabel() {
        if (verdict == null) {
            return "none yet";
        }
        String label = verdict.replace('_', ' ');
        return confidence == null ? label : label + " at " + RolloutStep.percentOf(confidence) + " % confidence";
    }

    /** The badge class of the verdict, the same colours as the guard's section. */
    public String verdictBadge() {
        if (verdict == null) {
            return "guard-no-data";
        }
        return switch (verdict) {
            case "HEALTHY" -> "guard-healthy";
            case "INCONCLUSIVE" -> "guard-inconclusive";
            case "REGRESSION" -> "guard-regression";
            case "NO_DATA" -> "guard-no-data";
            case "INSUFFICIENT_DATA" -> "guard-insufficient";
            default -> "guard-unknown";
        };
    }

    private static String count(Long n) {
        return n == null ? "-" : Long.toString(n);
    }

    private static String upper(String value) {
        return value == null ? null : value.toUpperCase(Locale.ROOT);
    }

    private static List<String> texts(JsonNode array) {
        List<String> result = new ArrayList<>();
        array.forEach(v -> result.add(v.asText()));
        return List.copyOf(result);
    }
}
