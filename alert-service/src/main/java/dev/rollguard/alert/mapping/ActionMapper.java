package dev.rollguard.alert.mapping;

import dev.rollguard.alert.domain.notify.ActionNotice;
import dev.rollguard.schemas.Topics;
import dev.rollguard.schemas.event.CohortComparison;
import dev.rollguard.schemas.event.MetricEvidence;
import dev.rollguard.schemas.event.RollbackActionEvent;
import dev.rollguard.schemas.event.RolloutActionEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The automatic actions of the {@code rollbacks} and {@code rollouts} topics as notifications see them. */
public final class ActionMapper {

    private ActionMapper() {}

    public static ActionNotice fromRollback(RollbackActionEvent e) {
        Map<String, Object> details = new LinkedHashMap<>();
        put(details, "alertId", e.getAlertId());
        put(details, "alertFingerprint", e.getAlertFingerprint());
        put(details, "ruleId", e.getRuleId());
        put(details, "ruleName", e.getRuleName());
        put(details, "metric", e.getMetric());
        put(details, "comparator", e.getComparator());
        put(details, "observedValue", e.getObservedValue());
        put(details, "threshold", e.getThreshold());
        put(details, "sampleSize", e.getSampleSize());
        put(
                details,
                "scopeType",
                e.getScopeType() == null ? null : e.getScopeType().name());
        put(details, "scopeKey", e.getScopeKey());
        put(details, "cohort", e.getCohort() == null ? null : e.getCohort().name());
        CohortComparison c = e.getComparison();
        if (c != null) {
            Map<String, Object> comparison = new LinkedHashMap<>();
            put(comparison, "treatmentValue", c.getTreatmentValue());
            put(comparison, "controlValue", c.getControlValue());
            put(comparison, "treatmentClients", c.getTreatmentClients());
            put(comparison, "controlClients", c.getControlClients());
            put(comparison, "relativeEffect", c.getRelativeEffect());
            put(comparison, "effectLower", c.getEffectLower());
            put(comparison, "effectUpper", c.getEffectUpper());
            put(comparison, "confidence", c.getConfidence());
            put(comparison, "evidence", c.getEvidence());
            put(comparison, "method", c.getMethod());
            put(comparison, "stageVersion", c.getStageVersion());
            details.put("comparison", comparison);
        }
        put(details, "flagVersionBefore", e.getFlagVersionBefore());
        put(details, "flagVersionAfter", e.getFlagVersionAfter());
        put(details, "alertFiredAt", text(e.getAlertFiredAt()));
        put(details, "flagChangedAt", text(e.getFlagChangedAt()));
        Instant at = e.getFlagChangedAt() != null ? e.getFlagChangedAt() : e.getAlertReceivedAt();
        return new ActionNotice(
                Topics.ROLLBACKS,
                e.getActionId(),
                e.getFlagKey(),
                e.getAction().name(),
                e.getOutcome().name(),
                e.getDryRun(),
                e.getReason(),
                rollbackEvidence(e),
                at,
                details);
    }

    public static ActionNotice fromRollout(RolloutActionEvent e) {
        Map<String, Object> details = new LinkedHashMap<>();
        put(details, "fromStage", e.getFromStage());
        put(details, "fromStageName", e.getFromStageName());
        put(details, "fromPercentage", e.getFromPercentage());
        put(details, "toStage", e.getToStage());
        put(details, "toStageName", e.getToStageName());
        put(details, "toPercentage", e.getToPercentage());
        put(details, "stageVersion", e.getStageVersion());
        put(details, "stageEnteredAt", text(e.getStageEnteredAt()));
        put(details, "secondsInStage", e.getSecondsInStage());
        put(details, "minSoakSeconds", e.getMinSoakSeconds());
        put(details, "minClientsPerCohort", e.getMinClientsPerCohort());
        put(details, "treatedClients", e.getTreatedClients());
        put(details, "controlClients", e.getControlClients());
        put(details, "verdict", e.getVerdict());
        put(details, "confidence", e.getConfidence());
        List<Map<String, Object>> metrics = new ArrayList<>();
        for (MetricEvidence m : e.getMetrics()) {
            Map<String, Object> metric = new LinkedHashMap<>();
            put(metric, "metric", m.getMetric());
            put(metric, "status", m.getStatus());
            put(metric, "treated", m.getTreated());
            put(metric, "control", m.getControl());
            put(metric, "relativeEffect", m.getRelativeEffect());
            put(metric, "effectLower", m.getEffectLower());
            put(metric, "effectUpper", m.getEffectUpper());
            put(metric, "treatedClients", m.getTreatedClients());
            put(metric, "controlClients", m.getControlClients());
            metrics.add(metric);
        }
        details.put("metrics", metrics);
        put(details, "flagVersionBefore", e.getFlagVersionBefore());
        put(details, "flagVersionAfter", e.getFlagVersionAfter());
        put(details, "decidedAt", text(e.getDecidedAt()));
        put(details, "flagChangedAt", text(e.getFlagChangedAt()));
        return new ActionNotice(
                Topics.ROLLOUTS,
                e.getActionId(),
                e.getFlagKey(),
                e.getAction().name(),
                e.getOutcome().name(),
                e.getDryRun(),
                e.getReason(),
                rolloutEvidence(e),
                e.getFlagChangedAt() != null ? e.getFlagChangedAt() : e.getDecidedAt(),
                details);
    }

    /** The guard's one-line summary when the alert had one, else the breach: rule, metric, value, threshold. */
    static String rollbackEvidence(RollbackActionEvent e) {
        CohortComparison c = e.getComparison();
        if (c != null && c.getSummary() != null && !c.getSummary().isBlank()) {
            return c.getSummary();
        }
        StringBuilder text = new StringBuilder(e.getRuleName()).append(": ").append(e.getMetric());
        if (e.getObservedValue() != null) {
            text.append(' ').append(number(e.getObservedValue()));
        }
        text.append(' ').append(symbol(e.getComparator())).append(' ').append(number(e.getThreshold()));
        if (e.getSampleSize() > 0) {
            text.append(" over ").append(e.getSampleSize()).append(" events");
        }
        if (c != null) {
            text.append(" (treatment ")
                    .append(number(c.getTreatmentValue()))
                    .append(" vs control ")
                    .append(number(c.getControlValue()))
                    .append(')');
        }
        return text.toString();
    }

    /** The verdict, the clients per cohort, the soak, and every metric that did not come out non-inferior. */
    static String rolloutEvidence(RolloutActionEvent e) {
        StringBuilder text = new StringBuilder("verdict ").append(e.getVerdict() == null ? "none" : e.getVerdict());
        if (e.getConfidence() != null) {
            text.append(" at ").append(number(e.getConfidence() * 100)).append(" % confidence");
        }
        text.append(", ")
                .append(e.getTreatedClients())
                .append(" treated vs ")
                .append(e.getControlClients())
                .append(" control clients");
        if (e.getMinClientsPerCohort() > 0) {
            text.append(" (min ").append(e.getMinClientsPerCohort()).append(')');
        }
        text.append(", ").append(e.getSecondsInStage()).append(" s in stage");
        if (e.getMinSoakSeconds() > 0) {
            text.append(" (min ").append(e.getMinSoakSeconds()).append(" s)");
        }
        for (MetricEvidence m : e.getMetrics()) {
            if (!"NON_INFERIOR".equals(m.getStatus())) {
                text.append("; ").append(m.getMetric()).append(' ').append(m.getStatus());
                if (m.getRelativeEffect() != null) {
                    text.append(' ').append(percent(m.getRelativeEffect()));
                }
            }
        }
        return text.toString();
    }

    private static String symbol(String comparator) {
        if (comparator == null) {
            return "vs";
        }
        return switch (comparator) {
            case "GT" -> ">";
            case "GTE" -> ">=";
            case "LT" -> "<";
            case "LTE" -> "<=";
            default -> "vs";
        };
    }

    static String number(double value) {
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            return Long.toString((long) value);
        }
        return String.format(Locale.ROOT, "%.4g", value)
                .replaceAll("(\\.\\d*?)0+$", "$1")
                .replaceAll("\\.$", "");
    }

    private static String percent(double relative) {
        return (relative >= 0 ? "+" : "") + String.format(Locale.ROOT, "%.1f", relative * 100) + " %";
    }

    private static String text(Instant instant) {
        return instant == null ? null : instant.toString();
    }

    private static void put(Map<String, Object> map, String key, Object value) {
        if (value != null) {
            map.put(key, value);
        }
    }
}
