package dev.rollguard.alert.domain;

import dev.rollguard.alert.domain.judgment.CohortMoments;
import dev.rollguard.alert.domain.judgment.MetricKind;
import dev.rollguard.alert.domain.judgment.MetricSample;
import dev.rollguard.alert.domain.judgment.MetricSpec;
import dev.rollguard.schemas.event.ClientMoment;
import dev.rollguard.schemas.event.Cohort;
import dev.rollguard.schemas.guard.GuardMetrics;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The evidence of one flag's current rollout stage: for each cohort and guard metric, the client-level sums
 * accumulated from the windows since the stage began (each window carries their increments, see {@code
 * WindowMetricsEvent.clientMoments}), how far in event time each cohort's windows have come, and whether the stage's
 * cohorts are populations rather than random draws. A flag with weighted variants has a treated cohort per variant
 * ({@link #variants}), each compared with the one control on its own; a plain flag has the one treated cohort
 * ({@link #treatment}). Mutable; one per flag, touched by the evaluator only.
 */
public final class StageEvidence {

    /** One treated variant's sums per metric name and the end of its latest window added. */
    public static final class Treated {
        private final Map<String, CohortMoments> sums = new HashMap<>();
        private long end;

        public Map<String, CohortMoments> sums() {
            return sums;
        }

        public long end() {
            return end;
        }

        public void end(long end) {
            this.end = end;
        }
    }

    private final String flagKey;
    private final long stageVersion;
    private final Map<String, CohortMoments> treatment = new HashMap<>();
    private final Map<String, CohortMoments> control = new HashMap<>();
    private final long[] ends = new long[2];
    private final Map<String, Treated> variants = new TreeMap<>();
    private Boolean populations;

    private StageEvidence(String flagKey, long stageVersion) {
        this.flagKey = flagKey;
        this.stageVersion = stageVersion;
    }

    /** The evidence of a stage that has just begun: no sums, no window, nothing told. */
    public static StageEvidence start(String flagKey, long stageVersion) {
        return new StageEvidence(flagKey, stageVersion);
    }

    /** The flag. */
    public String flagKey() {
        return flagKey;
    }

    /** The flag version that began the stage. */
    public long stageVersion() {
        return stageVersion;
    }

    /** The treated cohort's sums per metric name (rungs of a ladder as {@code name@k}). */
    public Map<String, CohortMoments> treatment() {
        return treatment;
    }

    /** The control cohort's sums per metric name. */
    public Map<String, CohortMoments> control() {
        return control;
    }

    /** End of the latest plain treated window added (epoch millis, or 0), then of the latest control window. */
    public long[] ends() {
        return ends;
    }

    /** The treated variants of a weighted flag, by name. */
    public Map<String, Treated> variants() {
        return variants;
    }

    /**
     * Whether the stage's cohorts are populations rather than subjects one random draw split, as its windows told
     * ({@code WindowMetricsEvent.comparesPopulations}); null while no window of the stage has told.
     */
    public Boolean populations() {
        return populations;
    }

    /**
     * Notes what a window of this stage told of its cohorts (null: it did not tell). Once one window says populations,
     * the stage compared populations for a while (a version in force in it drew nobody) and stays so: a later window
     * that says otherwise speaks for later events only.
     */
    public void told(Boolean comparesPopulations) {
        if (comparesPopulations != null) {
            populations = populations == null ? comparesPopulations : populations || comparesPopulations;
        }
    }

    /** The stage of a window's moments: the newest one it carries, or -1 when it carries none. */
    public static long stageOf(List<ClientMoment> moments) {
        long stage = -1;
        for (ClientMoment m : moments) {
            stage = Math.max(stage, m.getStageVersion());
        }
        return stage;
    }

    /** Adds one cohort window's increments of this stage, and notes how far that cohort has come. */
    public void add(Cohort cohort, List<ClientMoment> moments, long windowEnd) {
        add(cohort, null, moments, windowEnd);
    }

    /**
     * Adds one cohort window's increments of this stage, and notes how far that cohort has come; {@code variant} names
     * the treated variant of a weighted flag (null for the control and a plain treatment).
     */
    public void add(Cohort cohort, String variant, List<ClientMoment> moments, long windowEnd) {
        Map<String, CohortMoments> sums;
        if (cohort != Cohort.TREATMENT) {
            sums = control;
            ends[1] = Math.max(ends[1], windowEnd);
        } else if (variant == null) {
            sums = treatment;
            ends[0] = Math.max(ends[0], windowEnd);
        } else {
            Treated treated = variants.computeIfAbsent(variant, v -> new Treated());
            treated.end(Math.max(treated.end(), windowEnd));
            sums = treated.sums();
        }
        for (ClientMoment m : moments) {
            if (m.getStageVersion() != stageVersion) {
                continue;
            }
            // Increments may be negative (clients dropped from the ingest's sample): only the totals are checked.
            CohortMoments total = sums.getOrDefault(m.getMetric(), CohortMoments.EMPTY)
                    .plusIncrement(m.getClients(), m.getSumY(), m.getSumX(), m.getSumYY(), m.getSumXX(), m.getSumXY());
            sums.put(m.getMetric(), total);
        }
    }

    /** True when both cohorts' windows of a plain flag have come up to {@code windowEnd}: it can be judged there. */
    public boolean bothAt(long windowEnd) {
        return ends[0] >= windowEnd && ends[1] >= windowEnd;
    }

    /**
     * The treated variants whose windows and the control's have come up to {@code windowEnd}: each can be judged
     * there against the control.
     */
    public List<String> variantsAt(long windowEnd) {
        List<String> ready = new ArrayList<>();
        if (ends[1] >= windowEnd) {
            variants.forEach((name, treated) -> {
                if (treated.end() >= windowEnd) {
                    ready.add(name);
                }
            });
        }
        return ready;
    }

    /** The samples of every metric of {@code specs} that has sums in either cohort, for the judgment. */
    public Map<String, MetricSample> samples(List<MetricSpec> specs) {
        return samples(treatment, specs);
    }

    /** The samples of a treated variant against the control, for its own judgment. */
    public Map<String, MetricSample> samples(String variant, List<MetricSpec> specs) {
        Treated treated = variants.get(variant);
        return samples(treated == null ? Map.of() : treated.sums(), specs);
    }

    private Map<String, MetricSample> samples(Map<String, CohortMoments> treatment, List<MetricSpec> specs) {
        Map<String, MetricSample> samples = new HashMap<>();
        for (MetricSpec spec : specs) {
            if (spec.kind() == MetricKind.TAIL_LADDER) {
                List<CohortMoments> t = new ArrayList<>(spec.ladder().size());
                List<CohortMoments> c = new ArrayList<>(spec.ladder().size());
                boolean any = false;
                for (int k = 0; k < spec.ladder().size(); k++) {
                    String rung = GuardMetrics.rung(spec.name(), k);
                    CohortMoments tk = treatment.getOrDefault(rung, CohortMoments.EMPTY);
                    CohortMoments ck = control.getOrDefault(rung, CohortMoments.EMPTY);
                    any |= !tk.isEmpty() || !ck.isEmpty();
                    t.add(tk);
                    c.add(ck);
                }
                if (any) {
                    samples.put(spec.name(), MetricSample.ladder(t, c));
                }
            } else {
                CohortMoments t = treatment.get(spec.name());
                CohortMoments c = control.get(spec.name());
                if (t != null || c != null) {
                    samples.put(
                            spec.name(),
                            MetricSample.ratio(
                                    t == null ? CohortMoments.EMPTY : t, c == null ? CohortMoments.EMPTY : c));
                }
            }
        }
        return samples;
    }
}
