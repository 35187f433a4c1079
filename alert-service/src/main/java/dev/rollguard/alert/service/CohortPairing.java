package dev.rollguard.alert.service;

import dev.rollguard.alert.repository.EvaluationWrite.CohortWindowRow;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.event.WindowMetricsEvent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * The cohort windows of flags waiting for their counterpart of the same interval, for the comparative rules.
 *
 * <p>A plain flag has one treated window and one control window per interval: they pair once and both are done. A
 * flag with weighted variants has one treated window per variant and still one control: each variant pairs with that
 * control on its own, so the control keeps waiting after a pairing for the variants still to come, until the retention
 * horizon forgets it. Not thread-safe: the evaluator's lane is its only user.
 */
final class CohortPairing {

    /** No variant: the control, and the treatment of a flag without weights (a stored key cannot be null). */
    static final String PLAIN = "";

    /** One cohort's window of a flag and interval; {@code variant} is the treated variant, else {@link #PLAIN}. */
    record HalfKey(String flagKey, String windowKind, long start, long end, Cohort cohort, String variant) {

        static HalfKey of(WindowMetricsEvent w) {
            return new HalfKey(
                    w.getFlagKey(),
                    w.getWindowKind().name(),
                    w.getWindowStart().toEpochMilli(),
                    w.getWindowEnd().toEpochMilli(),
                    w.getCohort(),
                    w.getCohort() == Cohort.TREATMENT && w.getVariant() != null ? w.getVariant() : PLAIN);
        }

        HalfKey control() {
            return new HalfKey(flagKey, windowKind, start, end, Cohort.CONTROL, PLAIN);
        }

        HalfKey treatment(String treated) {
            return new HalfKey(flagKey, windowKind, start, end, Cohort.TREATMENT, treated);
        }

        CohortWindowRow row(byte[] payload) {
            return new CohortWindowRow(flagKey, windowKind, start, end, cohort.name(), variant, payload);
        }
    }

    /** A treated window (a variant's, or the plain treatment) and the control window of the same interval. */
    record Pair(WindowMetricsEvent treatment, WindowMetricsEvent control) {}

    /**
     * What adding a window did.
     *
     * @param pairs the comparisons now complete, the plain treatment first, then the variants by name
     * @param waits whether the added window waits (and is to be stored)
     * @param released the windows that waited and no longer do (to delete)
     */
    record Added(List<Pair> pairs, boolean waits, List<HalfKey> released) {}

    private final Map<HalfKey, WindowMetricsEvent> waiting = new HashMap<>();
    /** For the control key of an interval, the variants whose treated windows wait for that control. */
    private final Map<HalfKey, Set<String>> waitingVariants = new HashMap<>();

    /** Adds a window of a flag cohort: it completes the pairs it can and waits when it may still complete others. */
    Added add(WindowMetricsEvent w) {
        HalfKey mine = HalfKey.of(w);
        if (mine.cohort() == Cohort.TREATMENT) {
            WindowMetricsEvent control = waiting.get(mine.control());
            if (control == null) {
                hold(mine, w);
                return new Added(List.of(), true, List.of());
            }
            if (mine.variant().equals(PLAIN)) {
                forget(mine.control());
                return new Added(List.of(new Pair(w, control)), false, List.of(mine.control()));
            }
            return new Added(List.of(new Pair(w, control)), false, List.of());
        }
        List<Pair> pairs = new ArrayList<>();
        List<HalfKey> released = new ArrayList<>();
        HalfKey plain = mine.treatment(PLAIN);
        WindowMetricsEvent plainTreatment = forget(plain);
        if (plainTreatment != null) {
            pairs.add(new Pair(plainTreatment, w));
            released.add(plain);
        }
        Set<String> variants = waitingVariants.remove(mine);
        boolean variantsPaired = false;
        if (variants != null) {
            for (String variant : new TreeSet<>(variants)) {
                HalfKey treated = mine.treatment(variant);
                WindowMetricsEvent treatment = waiting.remove(treated);
                if (treatment != null) {
                    pairs.add(new Pair(treatment, w));
                    released.add(treated);
                    variantsPaired = true;
                }
            }
        }
        // A control that met only the plain treatment is done; one that met variants waits for the others.
        boolean waits = variantsPaired || pairs.isEmpty();
        if (waits) {
            hold(mine, w);
        }
        return new Added(List.copyOf(pairs), waits, List.copyOf(released));
    }

    /** Puts back a window that waited when the state was stored (after a restart or a reassignment). */
    void restore(WindowMetricsEvent w) {
        hold(HalfKey.of(w), w);
    }

    /** Forgets the windows of the flags that {@code forget} accepts that ended before {@code horizon}. */
    void prune(long horizon, Predicate<String> forget) {
        waiting.keySet().removeIf(half -> half.end() < horizon && forget.test(half.flagKey()));
        waitingVariants.keySet().removeIf(half -> half.end() < horizon && forget.test(half.flagKey()));
    }

    void clear() {
        waiting.clear();
        waitingVariants.clear();
    }

    int size() {
        return waiting.size();
    }

    private void hold(HalfKey key, WindowMetricsEvent w) {
        waiting.put(key, w);
        if (key.cohort() == Cohort.TREATMENT && !key.variant().equals(PLAIN)) {
            waitingVariants.computeIfAbsent(key.control(), k -> new TreeSet<>()).add(key.variant());
        }
    }

    private WindowMetricsEvent forget(HalfKey key) {
        return waiting.remove(key);
    }
}
