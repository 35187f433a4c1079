package dev.rollguard.rollback.domain;

import dev.rollguard.schemas.event.GuardAction;
import dev.rollguard.schemas.event.RollbackOutcome;

/**
 * What the guard decided to do about one alert.
 *
 * @param outcome {@link RollbackOutcome#APPLIED} means "apply through the flag-service"; every other outcome is final
 */
public record Decision(GuardAction action, RollbackOutcome outcome, boolean dryRun, String reason) {

    /** Whether the decision needs a write to the flag-service. */
    public boolean changesFlag() {
        return outcome == RollbackOutcome.APPLIED;
    }
}
