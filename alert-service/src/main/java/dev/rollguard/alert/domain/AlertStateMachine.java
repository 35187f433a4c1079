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
                        observation.windowEnd(),
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
                        observation.windowEnd(),
                        warningNext.healthySince(),
                        true,
                        warningNext.recentFirings());
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
                    boolean pending = current.phase() == Phase.PENDING;
                    Instant first = pending ? current.firstBreachAt() : observation.windowStart();
                    Instant firstEvent = pending
                            ? current.firstBreachEventTime()
                            : observation.firstEventTime() != null
                                    ? observation.firstEventTime()
                                    : observation.windowStart();
                    if (Duration.between(first, now).compareTo(level.forDuration()) >= 0) {
                        List<Instant> firings = new ArrayList<>(recent);
                        firings.add(now);
                        yield new LevelStep(
                                new LevelState(Phase.FIRING, first, firstEvent, now, null, false, firings),
                                Change.FIRED,
                                current);
                    }
                    yield new LevelStep(
                            new LevelState(Phase.PENDING, first, firstEvent, null, null, false, recent),
                            Change.NONE,
                            current);
                }
                if (verdict == Verdict.HEALTHY || !recent.equals(current.recentFirings())) {
                    LevelState next = verdict == Verdict.HEALTHY
                            ? new LevelState(Phase.INACTIVE, null, null, null, null, false, recent)
                            : new LevelState(
                                    current.phase(),
                                    current.firstBreachAt(),
                                    current.firstBreachEventTime(),
                                    null,
                                    null,
                                    false,
                                    recent);
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
                Instant healthySince =
                        current.healthySince() != null ? current.healthySince() : observation.windowStart();
                Duration required = rule.keepFiringFor();
                if (recent.size() >= flapPolicy.maxFirings()
                        && flapPolicy.window().compareTo(required) > 0) {
                    required = flapPolicy.window();
                }
                if (Duration.between(healthySince, now).compareTo(required) >= 0) {
                    yield new LevelStep(
                            new LevelState(Phase.INACTIVE, null, null, null, null, false, recent),
                            Change.RESOLVED,
                            current);
                }
                yield new LevelStep(withHealthySince(current, healthySince), Change.NONE, current);
            }
        };
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
                state.recentFirings());
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
                observation.windowEnd(),
                observation.value() == null ? "no data" : "healthy again");
    }

    private static String forText(RuleDefinition rule, Severity severity) {
        return rule.level(severity).forDuration().toString();
    }
}
