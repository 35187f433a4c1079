package dev.rollguard.simulator;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * How healthy the simulated world is right now: a baseline failure rate and latency, plus conditions that make
 * events fail more often or take longer for the clients they match. A demo script changes the conditions while the
 * simulation runs.
 */
public final class HealthModel {

    /** Which events a condition applies to. */
    public enum Kind {
        SYNC,
        UPLOAD,
        ANY
    }

    /**
     * Extra failure probability and latency for events of {@code kind} from clients served {@code variant} of {@code
     * flagKey} (any client when {@code flagKey} is null).
     */
    public record Condition(
            String name, String flagKey, String variant, Kind kind, double failureRate, long extraMillis) {

        boolean matches(Map<String, String> served, Kind eventKind) {
            if (kind != Kind.ANY && kind != eventKind) {
                return false;
            }
            return flagKey == null || variant.equals(served.get(flagKey));
        }
    }

    private final double baselineFailureRate;
    private final long medianMillis;
    private final List<Condition> conditions = new CopyOnWriteArrayList<>();

    public HealthModel(double baselineFailureRate, long medianMillis) {
        this.baselineFailureRate = baselineFailureRate;
        this.medianMillis = medianMillis;
    }

    /** Adds (or replaces, by name) a condition. */
    public void set(Condition condition) {
        clear(condition.name());
        conditions.add(condition);
    }

    public void clear(String name) {
        conditions.removeIf(c -> c.name().equals(name));
    }

    public double baselineFailureRate() {
        return baselineFailureRate;
    }

    public long medianMillis() {
        return medianMillis;
    }

    /** Probability that an event of this kind fails for a client served these variants. */
    double failureRate(Map<String, String> served, Kind kind) {
        double rate = baselineFailureRate;
        for (Condition c : conditions) {
            if (c.matches(served, kind)) {
                rate += c.failureRate();
            }
        }
        return Math.min(1.0, rate);
    }

    long extraMillis(Map<String, String> served, Kind kind) {
        long extra = 0;
        for (Condition c : conditions) {
            if (c.matches(served, kind)) {
                extra += c.extraMillis();
            }
        }
        return extra;
    }
}
