package dev.rollguard.console.view;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.schemas.event.CohortComparison;

/** Treatment against control, as a comparative rule saw it. */
public record Comparison(
        double treatmentValue,
        double controlValue,
        long treatmentSamples,
        long controlSamples,
        Double pValue,
        String method) {

    static Comparison of(CohortComparison c) {
        return c == null
                ? null
                : new Comparison(
                        c.getTreatmentValue(),
                        c.getControlValue(),
                        c.getTreatmentSamples(),
                        c.getControlSamples(),
                        c.getPValue(),
                        c.getMethod());
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
                        Json.text(c, "method"));
    }
}
