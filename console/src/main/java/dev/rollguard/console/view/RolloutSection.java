package dev.rollguard.console.view;

import java.util.List;

/**
 * The rollout section of a flag's page: the flag-service's timeline ({@code timeline}, or {@code timelineError}), the
 * promoter's assessment of the current stage, and the outlook that follows from both: when the next promotion is
 * expected, or why none is.
 */
public record RolloutSection(String flagKey, RolloutTimeline timeline, String timelineError, PromoterView promoter) {

    /**
     * What comes next. {@code kind}: EXPECTED (at a time), DUE (now), UNKNOWN (waiting, no time known yet) or NONE
     * (manual stage, paused, killed, aborted, completed, held, no plan).
     */
    public record Outlook(String kind, String text) {}

    public Outlook outlook() {
        RolloutTimeline t = timeline;
        if (t == null) {
            return new Outlook("UNKNOWN", "Not known: the rollout timeline is unavailable.");
        }
        if ("ARCHIVED".equals(t.phase())) {
            return none("the flag is archived.");
        }
        if (t.killed()) {
            return none("the flag is killed" + reason(t.killReason()) + ". After a fix, retry it.");
        }
        if (t.aborted()) {
            RolloutTimeline.Stage back = t.retryTarget();
            return none("the rollout is aborted" + reason(t.abortReason()) + ". A retry takes it back to "
                    + (back == null ? "its plan" : "stage " + back.label()) + ".");
        }
        if (t.paused()) {
            return none("the rollout is paused" + reason(t.pauseReason()) + ". Resume it to go on.");
        }
        if (t.stages().isEmpty()) {
            return none("the flag has no rollout plan; its share is set by hand.");
        }
        RolloutTimeline.Stage current = t.current();
        if (current == null) {
            return none("the plan has not started. Promote to enter stage "
                    + t.stages().get(0).label() + ".");
        }
        RolloutTimeline.Stage next = t.next();
        if (next == null) {
            return none("the rollout is complete, at its last stage " + current.label() + ".");
        }
        if (!current.auto()) {
            return new Outlook(
                    "NONE",
                    "No automatic promotion: stage " + current.label() + " is manual. Promote it by hand"
                            + (t.soakOver()
                                    ? "."
                                    : " once its soak is over, at " + Formats.time(t.soakEndsAt()) + "."));
        }
        if (!promoter.available() || !promoter.watched()) {
            String why = promoter.available() ? "the promoter does not watch this flag." : promoter.error();
            return new Outlook(
                    "UNKNOWN",
                    "Not known: " + why
                            + (t.soakOver()
                                    ? ""
                                    : " Not before its soak is over, at " + Formats.time(t.soakEndsAt()) + "."));
        }
        String reasons = promoter.reasons().isEmpty() ? "" : ": " + String.join("; ", promoter.reasons());
        String decision = promoter.decision() == null ? "WAIT" : promoter.decision();
        return switch (decision) {
            case "PROMOTE" ->
                new Outlook("DUE", "Promotion due now: the promoter is promoting to stage " + next.label() + ".");
            case "HOLD" -> none("the promoter holds the stage" + reasons + ".");
            case "REVERT" -> none("the promoter takes the stage back" + reasons + ".");
            case "STOPPED" -> none("the promoter has stopped" + reasons + ".");
            case "MANUAL" -> none("the promoter leaves this stage to an operator" + reasons + ".");
            default ->
                promoter.expectedPromotionAt() != null
                        ? new Outlook(
                                "EXPECTED",
                                "Next promotion expected at " + Formats.time(promoter.expectedPromotionAt())
                                        + ", to stage " + next.label() + ", if the evidence holds.")
                        : new Outlook(
                                "UNKNOWN",
                                "Not yet known: the promoter waits for " + join(promoter.waitingLabels()) + ".");
        };
    }

    private static Outlook none(String why) {
        return new Outlook("NONE", "No promotion expected: " + why);
    }

    private static String reason(String reason) {
        return reason == null || reason.isBlank() ? "" : " (" + reason + ")";
    }

    private static String join(List<String> parts) {
        return parts.isEmpty() ? "its next assessment" : String.join("; ", parts);
    }
}
