package dev.rollguard.rollback.domain;

import dev.rollguard.schemas.event.GuardAction;

/**
 * What the guard decided to do about one alert.
 *
 * @param outcome {@link ActionOutcome#APPLIED} means "apply through the flag-service"; every other outcome is final
 */
public record Decision(GuardAction action, ActionOutcome outcome, boolean dryRun, String reason) {

    /** Whether the decision needs a write to the flag-service. */
    public boolean changesFlag() {
        return outcome == ActionOutcome.APPLIED;
    }
}
