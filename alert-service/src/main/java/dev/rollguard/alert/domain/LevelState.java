package dev.rollguard.alert.domain;

import java.time.Instant;
import java.util.List;

/**
 * State of one level (severity) of a rule for one scope. Times are event times taken from the windows.
 *
 * @param firstBreachAt start of the first breaching window of the current breach
 * @param firstBreachEventTime earliest event of that window (or its start when unknown)
 * @param startsAt end of the window with which the alert started firing
 * @param healthySince while firing: start of the first healthy window of the current healthy stretch
 * @param announced whether subscribers were told the alert fires (a warning is not announced while the critical
 *     level of the same rule and scope fires)
 * @param recentFirings when this level started firing recently, for flapping protection
 * @param lastBreachEnd while pending: end of the last breaching window, so a breach interrupted by a gap longer than
 *     the level's {@code for} starts again (null: stored before it was kept)
 * @param lastEndsAt when the level's last occurrence resolved (its {@code endsAt}), so the next one does not start
 *     before it; null when not known
 */
public record LevelState(
        Phase phase,
        Instant firstBreachAt,
        Instant firstBreachEventTime,
        Instant startsAt,
        Instant healthySince,
        boolean announced,
        List<Instant> recentFirings,
        Instant lastBreachEnd,
        Instant lastEndsAt) {

    public static final LevelState INACTIVE =
            new LevelState(Phase.INACTIVE, null, null, null, null, false, List.of(), null, null);

    public LevelState {
        recentFirings = recentFirings == null ? List.of() : List.copyOf(recentFirings);
    }

    public boolean firing() {
        return phase == Phase.FIRING;
    }

    LevelState withAnnounced(boolean value) {
        return new LevelState(
                phase,
                firstBreachAt,
                firstBreachEventTime,
                startsAt,
                healthySince,
                value,
                recentFirings,
                lastBreachEnd,
                lastEndsAt);
    }

    /** Inactive, remembering when the last occurrence ended. */
    static LevelState inactive(List<Instant> recentFirings, Instant lastEndsAt) {
        return new LevelState(Phase.INACTIVE, null, null, null, null, false, recentFirings, null, lastEndsAt);
    }
}
