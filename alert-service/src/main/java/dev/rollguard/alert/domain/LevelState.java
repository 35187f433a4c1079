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
 */
public record LevelState(
        Phase phase,
        Instant firstBreachAt,
        Instant firstBreachEventTime,
        Instant startsAt,
        Instant healthySince,
        boolean announced,
        List<Instant> recentFirings) {

    public static final LevelState INACTIVE = new LevelState(Phase.INACTIVE, null, null, null, null, false, List.of());

    public LevelState {
        recentFirings = recentFirings == null ? List.of() : List.copyOf(recentFirings);
    }

    public boolean firing() {
        return phase == Phase.FIRING;
    }

    LevelState withAnnounced(boolean value) {
        return new LevelState(phase, firstBreachAt, firstBreachEventTime, startsAt, healthySince, value, recentFirings);
    }
}
