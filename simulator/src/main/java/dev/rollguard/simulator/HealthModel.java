package dev.rollguard.simulator;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * How healthy the simulated world is right now: a baseline failure rate and latency, plus conditions that make
 * events fail more often, take longer or leave more mutations pending for the clients they match, or keep those
 * clients from sending anything. A demo script changes the conditions while the simulation runs.
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
     * flagKey} (any client when {@code flagKey} is null); their pending mutations multiplied by {@code
     * pendingFactor}; and, when {@code silent}, no event at all from those clients.
     */
    public record Condition(
            String name,
            String flagKey,
            String variant,
            Kind kind,
            double failureRate,
            long extraMillis,
            double pendingFactor,
            boolean silent) {

        public Condition {
            if (!(pendingFactor > 0)) {
                throw new IllegalArgumentException("pending factor must be positive: " + pendingFactor);
            }
        }

        /** More failures and latency only. */
        public Condition(String name, String flagKey, String variant, Kind kind, double failureRate, long extraMillis) {
            this(name, flagKey, variant, kind, failureRate, extraMillis, 1.0, false);
        }

        /** Clients served this variant report {@code factor} times as many pending mutations. */
        public static Condition pendingGrowth(String name, String flagKey, String variant, double factor) {
            return new Condition(name, flagKey, variant, Kind.ANY, 0, 0, factor, false);
        }

        /** Clients served this variant send no telemetry at all. */
        public static Condition silence(String name, String flagKey, String variant) {
            return new Condition(name, flagKey, variant, Kind.ANY, 0, 0, 1.0, true);
        }

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

    /** Factor on the pending mutations that an event of this kind reports, for a client served these variants. */
    double pendingFactor(Map<String, String> served, Kind kind) {
        double factor = 1.0;
        for (Condition c : conditions) {
            if (c.matches(served, kind)) {
                factor *= c.pendingFactor();
            }
        }
        return factor;
    }

    /** True when a client served these variants sends nothing. */
    boolean silent(Map<String, String> served) {
        for (Condition c : conditions) {
            if (c.silent() && c.matches(served, Kind.ANY)) {
                return true;
            }
        }
        return false;
    }
}
