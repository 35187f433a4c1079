package dev.rollguard.console.view;

import dev.rollguard.schemas.event.WindowMetricsEvent;

/** One closed window of one cohort of a flag: what the live charts plot (times in epoch millis). */
public record WindowPoint(
        String flagKey,
        String cohort,
        String kind,
        long start,
        long end,
        long events,
        Double successRate,
        Double errorRate,
        Double p95Ms,
        Long pendingMutations) {

    /** Null for windows that are not about one cohort of a flag. */
    public static WindowPoint of(WindowMetricsEvent w) {
        if (w.getFlagKey() == null || w.getCohort() == null) {
            return null;
        }
        return new WindowPoint(
                w.getFlagKey(),
                w.getCohort().name(),
                w.getWindowKind().name(),
                w.getWindowStart().toEpochMilli(),
                w.getWindowEnd().toEpochMilli(),
                w.getEventCount(),
                w.getSuccessRate(),
                w.getErrorRate(),
                w.getDurationP95Ms(),
                w.getPendingMutationsMax());
    }
}
