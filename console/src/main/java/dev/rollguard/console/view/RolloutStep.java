package dev.rollguard.console.view;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.schemas.event.MetricEvidence;
import dev.rollguard.schemas.event.RolloutActionEvent;
import java.math.BigDecimal;
import java.math.MathContext;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A step the promoter took on a flag's rollout by itself, with its evidence: the stage judged and where it went, the
 * clients per cohort against the stage's minimum, the guard's verdict and confidence, and the metrics compared. Read
 * from the {@code rollouts} topic or the rollback-service's {@code GET /api/rollouts}, both with the fields of
 * {@code RolloutActionEvent}.
 */
public record RolloutStep(
        String id,
        String flagKey,
        String action,
        String outcome,
        String reason,
        String fromStageName,
        String fromPercentage,
        String toStageName,
        String toPercentage,
        long stageVersion,
        long minSoakSeconds,
        long secondsInStage,
        long minClientsPerCohort,
        long treatedClients,
        long controlClients,
        String verdict,
        Double confidence,
        List<Metric> metrics,
        boolean dryRun,
        Instant decidedAt,
        Long flagVersionBefore,
        Long flagVersionAfter,
        Instant flagChangedAt) {

    /** One guarded metric as the guard judged it when the step was decided. */
    public record Metric(
            String metric,
            String status,
            Double treated,
            Double control,
            Double relativeEffect,
            Double effectLower,
            Double effectUpper,
            long treatedClients,
            long controlClients) {

        public String effectLabel() {
            return relativeEffect == null ? "-" : GuardVerdict.relative(relativeEffect);
        }

        public String intervalLabel() {
            return effectLower == null || effectUpper == null
                    ? null
                    : "[" + GuardVerdict.relative(effectLower) + ", " + GuardVerdict.relative(effectUpper) + "]";
        }
    }

    /** When the flag changed, else when the step was decided: where it sits on a timeline. */
    public Instant at() {
        return flagChangedAt != null ? flagChangedAt : decidedAt;
    }

    /** {@code 10% (10 %) → 50% (50 %)}, or the one stage of an EXTEND or HOLD. */
    public String move() {
        String from = stage(fromStageName, fromPercentage);
        String to = stage(toStageName, toPercentage);
        return from.equals(to) ? from : from + " → " + to;
    }

    public String verdictLabel() {
        if (verdict == null) {
            return "none";
        }
        return verdict.replace('_', ' ') + (confidence == null ? "" : " at " + percentOf(confidence) + " % confidence");
    }

    public String clientsLabel() {
        return treatedClients + " treated, " + controlClients + " control; " + minClientsPerCohort + " needed in each";
    }

    static String percentOf(double fraction) {
        return new BigDecimal(fraction * 100)
                .round(new MathContext(4))
                .stripTrailingZeros()
                .toPlainString();
    }

    private static String stage(String name, String percentage) {
        if (name == null && percentage == null) {
            return "-";
        }
        return (name == null ? "" : name + " ") + "(" + (percentage == null ? "-" : percentage) + " %)";
    }

    private static String percent(Double value) {
        return value == null
                ? null
                : new BigDecimal(Double.toString(value)).stripTrailingZeros().toPlainString();
    }

    public static RolloutStep of(RolloutActionEvent e) {
        List<Metric> metrics = new ArrayList<>();
        for (MetricEvidence m : e.getMetrics()) {
            metrics.add(new Metric(
                    m.getMetric(),
                    m.getStatus(),
                    m.getTreated(),
                    m.getControl(),
                    m.getRelativeEffect(),
                    m.getEffectLower(),
                    m.getEffectUpper(),
                    m.getTreatedClients(),
                    m.getControlClients()));
        }
        return new RolloutStep(
                e.getActionId(),
                e.getFlagKey(),
                e.getAction().name(),
                e.getOutcome().name(),
                e.getReason(),
                e.getFromStageName(),
                percent(e.getFromPercentage()),
                e.getToStageName(),
                percent(e.getToPercentage()),
                e.getStageVersion(),
                e.getMinSoakSeconds(),
                e.getSecondsInStage(),
                e.getMinClientsPerCohort(),
                e.getTreatedClients(),
                e.getControlClients(),
                e.getVerdict(),
                e.getConfidence(),
                List.copyOf(metrics),
                e.getDryRun(),
                e.getDecidedAt(),
                e.getFlagVersionBefore(),
                e.getFlagVersionAfter(),
                e.getFlagChangedAt());
    }

    /** From the rollback-service's view: the event's fields under the same names, plus {@code id}. */
    public static RolloutStep of(JsonNode n) {
        List<Metric> metrics = new ArrayList<>();
        for (JsonNode m : n.path("metrics")) {
            metrics.add(new Metric(
                    Json.text(m, "metric"),
                    Json.text(m, "status"),
                    Json.dbl(m, "treated"),
                    Json.dbl(m, "control"),
                    Json.dbl(m, "relativeEffect"),
                    Json.dbl(m, "effectLower"),
                    Json.dbl(m, "effectUpper"),
                    m.path("treatedClients").asLong(),
                    m.path("controlClients").asLong()));
        }
        // The topic knows a step by its actionId; the view adds its own id. Keyed alike, the two merge.
        String id = n.hasNonNull("actionId") ? Json.text(n, "actionId") : Json.text(n, "id");
        return new RolloutStep(
                id,
                Json.text(n, "flagKey"),
                Json.text(n, "action"),
                Json.text(n, "outcome"),
                Json.text(n, "reason"),
                Json.text(n, "fromStageName"),
                percent(Json.dbl(n, "fromPercentage")),
                Json.text(n, "toStageName"),
                percent(Json.dbl(n, "toPercentage")),
                n.path("stageVersion").asLong(),
                n.path("minSoakSeconds").asLong(),
                n.path("secondsInStage").asLong(),
                n.path("minClientsPerCohort").asLong(),
                n.path("treatedClients").asLong(),
                n.path("controlClients").asLong(),
                Json.text(n, "verdict"),
                Json.dbl(n, "confidence"),
                List.copyOf(metrics),
                n.path("dryRun").asBoolean(),
                Json.instant(n, "decidedAt"),
                Json.lng(n, "flagVersionBefore"),
                Json.lng(n, "flagVersionAfter"),
                Json.instant(n, "flagChangedAt"));
    }
}
