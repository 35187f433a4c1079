package dev.rollguard.alert.domain;

import dev.rollguard.schemas.event.Severity;
import java.time.Instant;

/**
 * State of one rule for one scope: one {@link LevelState} per severity, plus the end of the last window seen, which
 * rejects late or repeated windows.
 */
public record ScopeState(LevelState warning, LevelState critical, Instant lastWindowEnd) {

    public static final ScopeState INITIAL = new ScopeState(LevelState.INACTIVE, LevelState.INACTIVE, null);

    public ScopeState {
        warning = warning == null ? LevelState.INACTIVE : warning;
        critical = critical == null ? LevelState.INACTIVE : critical;
    }

    public LevelState level(Severity severity) {
        return severity == Severity.WARNING ? warning : critical;
    }

    ScopeState with(Severity severity, LevelState level) {
        return severity == Severity.WARNING
                ? new ScopeState(level, critical, lastWindowEnd)
                : new ScopeState(warning, level, lastWindowEnd);
    }

    ScopeState withLastWindowEnd(Instant end) {
        return new ScopeState(warning, critical, end);
    }

    /** Whether the levels differ: the last window end alone is not worth a database write. */
    public boolean sameLevels(ScopeState other) {
        return warning.equals(other.warning) && critical.equals(other.critical);
    }

    /** Nothing pending or firing: a state that need not be remembered. */
    public boolean idle() {
        return warning.phase() == Phase.INACTIVE
                && critical.phase() == Phase.INACTIVE
                && warning.recentFirings().isEmpty()
                && critical.recentFirings().isEmpty();
    }
}
