package dev.rollguard.alert.domain;

import dev.rollguard.schemas.event.AlertStatus;
import dev.rollguard.schemas.event.Severity;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The alert state machine of one rule for one scope: inactive -> pending (breach started) -> firing (breach lasted
 * {@code for}) -> resolved (healthy for {@code keep_firing_for}), run separately for the warning and the critical
 * level. Pure and deterministic: every duration is measured in event time from the windows, so replaying the same
 * windows yields the same states and the same transitions.
 *
 * <p>Escalation: when the critical level fires, a firing warning of the same rule and scope is resolved ("escalated
 * to CRITICAL"), so one condition pages once at its worst severity; when the critical alert resolves while the
 * warning condition still holds, the warning fires again (de-escalation).
 */
public final class AlertStateMachine {

    /** New state of a rule for a scope and the transitions to announce, in order. */
    public record Step(ScopeState state, List<Transition> transitions) {}

    private enum Change {
        NONE,
        FIRED,
        RESOLVED
    }

    private record LevelStep(LevelState next, Change change, LevelState previous) {}

    private final FlapPolicy flapPolicy;

    public AlertStateMachine(FlapPolicy flapPolicy) {
        this.flapPolicy = Objects.requireNonNull(flapPolicy);
    }

    /** Applies one window. A window that does not end after the last one seen (late or repeated) changes nothing. */
    public Step observe(RuleDefinition rule, ScopeState state, Observation observation) {
        if (state.lastWindowEnd() != null && !observation.windowEnd().isAfter(state.lastWindowEnd())) {
            return new Step(state, List.of());
        }
        Step step = apply(rule, state, observation);
        return new Step(step.state().withLastWindowEnd(observation.windowEnd()), step.transitions());
    }

    /**
     * Applies the rule's no-data policy to a scope that sent no window since {@code lastWindowEnd}: as if one window
     * without figures covered the silence until {@code until} (event time extrapolated by the caller). The last
     * window end stays, so a late real window is still accepted.
     */
    public Step silence(RuleDefinition rule, ScopeState state, Instant until) {
        if (state.lastWindowEnd() == null
                || !until.isAfter(state.lastWindowEnd())
                || rule.noDataPolicy() == NoDataPolicy.KEEP_STATE) {
            return new Step(state, List.of());
        }
        return apply(rule, state, new Observation(state.lastWindowEnd(), until, null, null, null, 0, null));
    }

    private Step apply(RuleDefinition rule, ScopeState state, Observation observation) {
        LevelStep warning = step(rule, Severity.WARNING, state, observation);
        LevelStep critical = step(rule, Severity.CRITICAL, state, observation);
        LevelState warningNext = warning.next();
        LevelState criticalNext = critical.next();
        List<Transition> out = new ArrayList<>(2);

        if (critical.change() == Change.FIRED) {
            criticalNext = criticalNext.withAnnounced(true);
            out.add(firing(
                    Severity.CRITICAL, criticalNext, observation, "breached for " + forText(rule, Severity.CRITICAL)));
            if (warningNext.announced()) {
                out.add(new Transition(
                        Severity.WARNING,
                        AlertStatus.RESOLVED,
                        warningNext,
                        observation,
                        warningNext.startsAt(),
                        endsAt(warningNext, observation),
                        "escalated to CRITICAL"));
                warningNext = warningNext.withAnnounced(false);
            }
        } else if (critical.change() == Change.RESOLVED) {
            out.add(resolved(Severity.CRITICAL, critical.previous(), observation));
            if (warningNext.firing() && !warningNext.announced()) {
                warningNext = new LevelState(
                        warningNext.phase(),
                        warningNext.firstBreachAt(),
                        warningNext.firstBreachEventTime(),
                        endsAt(critical.previous(), observation),
                        warningNext.healthySince(),
                        true,
                        warningNext.recentFirings(),
                        null,
                        null);
                out.add(firing(Severity.WARNING, warningNext, observation, "de-escalated from CRITICAL"));
            }
        }

        if (warning.change() == Change.FIRED && !warningNext.announced() && !criticalNext.firing()) {
            warningNext = warningNext.withAnnounced(true);
            out.add(firing(
                    Severity.WARNING, warningNext, observation, "breached for " + forText(rule, Severity.WARNING)));
        } else if (warning.change() == Change.RESOLVED && warning.previous().announced()) {
            out.add(resolved(Severity.WARNING, warning.previous(), observation));
        }

        ScopeState next = new ScopeState(warningNext, criticalNext, state.lastWindowEnd());
        return new Step(next, List.copyOf(out));
    }

    private LevelStep step(RuleDefinition rule, Severity severity, ScopeState state, Observation observation) {
        LevelState current = state.level(severity);
        Level level = rule.level(severity);
        if (level == null) {
            return new LevelStep(LevelState.INACTIVE, Change.NONE, current);
        }
        Verdict verdict = effective(rule, severity, rule.verdict(level, observation));
        Instant now = observation.windowEnd();
        List<Instant> recent = recent(current.recentFirings(), now);
        return switch (current.phase()) {
            case INACTIVE, PENDING -> {
                if (verdict == Verdict.BREACH) {
                    boolean pending = current.phase() == Phase.PENDING && continues(current, level, observation);
                    Instant first = pending ? current.firstBreachAt() : observation.windowStart();
                    Instant firstEvent = pending
                            ? current.firstBreachEventTime()
                            : observation.firstEventTime() != null
                                    ? observation.firstEventTime()
                                    : observation.windowStart();
                    if (Duration.between(first, now).compareTo(level.forDuration()) >= 0) {
                        List<Instant> firings = new ArrayList<>(recent);
                        firings.add(now);
                        // An occurrence never starts before the previous one ended (a resolution by the no-data
                        // sweep ends at an extrapolated time that a late window may not have reached).
                        Instant startsAt = latest(now, current.lastEndsAt());
                        yield new LevelStep(
                                new LevelState(
                                        Phase.FIRING, first, firstEvent, startsAt, null, false, firings, null, null),
                                Change.FIRED,
                                current);
                    }
                    yield new LevelStep(
                            new LevelState(
                                    Phase.PENDING,
                                    first,
                                    firstEvent,
                                    null,
                                    null,
                                    false,
                                    recent,
                                    now,
                                    current.lastEndsAt()),
                            Change.NONE,
                            current);
                }
                if (verdict == Verdict.HEALTHY || !recent.equals(current.recentFirings())) {
                    LevelState next = verdict == Verdict.HEALTHY
                            ? LevelState.inactive(recent, current.lastEndsAt())
                            : new LevelState(
                                    current.phase(),
                                    current.firstBreachAt(),
                                    current.firstBreachEventTime(),
                                    null,
                                    null,
                                    false,
                                    recent,
                                    current.lastBreachEnd(),
                                    current.lastEndsAt());
                    yield new LevelStep(next, Change.NONE, current);
                }
                yield new LevelStep(current, Change.NONE, current);
            }
            case FIRING -> {
                if (verdict == Verdict.BREACH) {
                    yield new LevelStep(withHealthySince(current, null), Change.NONE, current);
                }
                if (verdict == Verdict.NO_DATA) {
                    yield new LevelStep(current, Change.NONE, current);
                }
                // Health is counted from the alert's start at the earliest: a late window of the silence before a
                // no-data alert the sweep fired says nothing about the time since.
                Instant healthySince = current.healthySince() != null
                        ? current.healthySince()
                        : latest(observation.windowStart(), current.startsAt());
                Duration required = rule.keepFiringFor();
                if (recent.size() >= flapPolicy.maxFirings()
                        && flapPolicy.window().compareTo(required) > 0) {
                    required = flapPolicy.window();
                }
                if (Duration.between(healthySince, now).compareTo(required) >= 0) {
                    yield new LevelStep(
                            LevelState.inactive(recent, endsAt(current, observation)), Change.RESOLVED, current);
                }
                yield new LevelStep(withHealthySince(current, healthySince), Change.NONE, current);
            }
        };
    }

    /**
     * Whether a breaching window continues the pending breach: {@code for} counts a breach that holds, so a breach
     * whose last breaching window ended longer than {@code for} before this one starts (windows missing, or without
     * data, in between) starts again. Gaps up to {@code for} are tolerated: a window lost or too small in a long
     * {@code for} does not restart it.
     */
    private static boolean continues(LevelState pending, Level level, Observation observation) {
        return pending.lastBreachEnd() == null
                || !observation.windowStart().isAfter(pending.lastBreachEnd().plus(level.forDuration()));
    }

    /** When a firing level that {@code observation} ends resolves: never before it started. */
    private static Instant endsAt(LevelState firing, Observation observation) {
        return latest(observation.windowEnd(), firing.startsAt());
    }

    private static Instant latest(Instant a, Instant b) {
        return b != null && b.isAfter(a) ? b : a;
    }

    /** Maps NO_DATA through the rule's policy. */
    private static Verdict effective(RuleDefinition rule, Severity severity, Verdict verdict) {
        if (verdict != Verdict.NO_DATA) {
            return verdict;
        }
        return switch (rule.noDataPolicy()) {
            case KEEP_STATE -> Verdict.NO_DATA;
            case RESOLVE -> Verdict.HEALTHY;
            case ALERT -> severity == rule.lowestSeverity() ? Verdict.BREACH : Verdict.NO_DATA;
        };
    }

    private List<Instant> recent(List<Instant> firings, Instant now) {
        Instant horizon = now.minus(flapPolicy.window());
        if (firings.isEmpty() || !firings.get(0).isBefore(horizon)) {
            return firings;
        }
        return firings.stream().filter(t -> !t.isBefore(horizon)).toList();
    }

    private static LevelState withHealthySince(LevelState state, Instant healthySince) {
        return new LevelState(
                state.phase(),
                state.firstBreachAt(),
                state.firstBreachEventTime(),
                state.startsAt(),
                healthySince,
                state.announced(),
                state.recentFirings(),
                state.lastBreachEnd(),
                state.lastEndsAt());
    }

    private static Transition firing(Severity severity, LevelState level, Observation observation, String reason) {
        return new Transition(severity, AlertStatus.FIRING, level, observation, level.startsAt(), null, reason);
    }

    private static Transition resolved(Severity severity, LevelState firing, Observation observation) {
        return new Transition(
                severity,
                AlertStatus.RESOLVED,
                firing,
                observation,
                firing.startsAt(),
                endsAt(firing, observation),
                observation.value() == null ? "no data" : "healthy again");
    }

    private static String forText(RuleDefinition rule, Severity severity) {
        return rule.level(severity).forDuration().toString();
    }
}
