package dev.rollguard.console.view;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.schemas.event.CohortComparison;

/**
 * Treatment against control, as a comparative rule or the guard saw it. The guard's fields (clients, relative effect
 * and its interval, confidence, evidence, summary) are null for a plain comparative rule.
 */
public record Comparison(
        double treatmentValue,
        double controlValue,
        long treatmentSamples,
        long controlSamples,
        Double pValue,
        String method,
        Long treatmentClients,
        Long controlClients,
        Double relativeEffect,
        Double effectLower,
        Double effectUpper,
        Double confidence,
        Double evidence,
        String summary) {

    static Comparison of(CohortComparison c) {
        return c == null
                ? null
                : new Comparison(
                        c.getTreatmentValue(),
                        c.getControlValue(),
                        c.getTreatmentSamples(),
                        c.getControlSamples(),
                        c.getPValue(),
                        c.getMethod(),
                        c.getTreatmentClients(),
                        c.getControlClients(),
                        c.getRelativeEffect(),
                        c.getEffectLower(),
                        c.getEffectUpper(),
                        c.getConfidence(),
                        c.getEvidence(),
                        c.getSummary());
    }

    static Comparison of(JsonNode c) {
        return c == null || !c.isObject()
                ? null
                : new Comparison(
                        c.path("treatmentValue").asDouble(),
                        c.path("controlValue").asDouble(),
                        c.path("treatmentSamples").asLong(),
                        c.path("controlSamples").asLong(),
                        Json.dbl(c, "pValue"),
                        Json.text(c, "method"),
                        Json.lng(c, "treatmentClients"),
                        Json.lng(c, "controlClients"),
                        Json.dbl(c, "relativeEffect"),
                        Json.dbl(c, "effectLower"),
                        Json.dbl(c, "effectUpper"),
                        Json.dbl(c, "confidence"),
                        Json.dbl(c, "evidence"),
                        Json.text(c, "summary"));
    }

    /** The treated relative to control, e.g. {@code +211 %}; null when not given. */
    public String effectLabel() {
        return relativeEffect == null ? null : GuardVerdict.relative(relativeEffect);
    }

    /** The effect's interval, e.g. {@code 99.9 % interval [+150 %, +279 %]}; null when not given. */
    public String intervalLabel() {
        if (effectLower == null && effectUpper == null) {
            return null;
        }
        String level = confidence == null ? "interval" : GuardVerdict.decimal(100 * confidence) + " % interval";
        return level + " [" + (effectLower == null ? "-∞" : GuardVerdict.relative(effectLower)) + ", "
                + (effectUpper == null ? "+∞" : GuardVerdict.relative(effectUpper)) + "]";
    }

    /** Clients per cohort, e.g. {@code 212 vs 1 788}; null when not given. */
    public String clientsLabel() {
        return treatmentClients == null && controlClients == null
                ? null
                : GuardVerdict.count(treatmentClients == null ? 0 : treatmentClients) + " vs "
                        + GuardVerdict.count(controlClients == null ? 0 : controlClients);
    }

    /** The evidence of a regression as a share of the threshold that makes the call; null when not given. */
    public String evidenceLabel() {
        return evidence == null
                ? null
                : GuardVerdict.decimal(evidence) + " of threshold (" + (evidence >= 1 ? "called" : "not called")
                        + "; 1 makes the call)";
    }
}
