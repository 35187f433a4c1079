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

/**
 * The evidence of one flag's current rollout stage: for each cohort and guard metric, the client-level sums
 * accumulated from the windows since the stage began (each window carries their increments, see {@code
 * WindowMetricsEvent.clientMoments}), and how far in event time each cohort's windows have come. Mutable; one per
 * flag, touched by the evaluator only.
 *
 * @param flagKey the flag
 * @param stageVersion the flag version that began the stage
 * @param treatment the treated cohort's sums per metric name (rungs of a ladder as {@code name@k})
 * @param control the control cohort's sums per metric name
 * @param treatmentEnd end of the latest treated window added (epoch millis), or 0
 * @param controlEnd end of the latest control window added, or 0
 */
public record StageEvidence(
        String flagKey,
        long stageVersion,
        Map<String, CohortMoments> treatment,
        Map<String, CohortMoments> control,
        long[] ends) {

    public static StageEvidence start(String flagKey, long stageVersion) {
        return new StageEvidence(flagKey, stageVersion, new HashMap<>(), new HashMap<>(), new long[2]);
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
        Map<String, CohortMoments> sums = cohort == Cohort.TREATMENT ? treatment : control;
        for (ClientMoment m : moments) {
            if (m.getStageVersion() != stageVersion) {
                continue;
            }
            CohortMoments increment = new CohortMoments(
                    m.getClients(), m.getSumY(), m.getSumX(), m.getSumYY(), m.getSumXX(), m.getSumXY());
            sums.merge(m.getMetric(), increment, CohortMoments::plus);
        }
        int i = cohort == Cohort.TREATMENT ? 0 : 1;
        ends[i] = Math.max(ends[i], windowEnd);
    }

    /** True when both cohorts' windows have come up to {@code windowEnd}: the stage can be judged there. */
    public boolean bothAt(long windowEnd) {
        return ends[0] >= windowEnd && ends[1] >= windowEnd;
    }

    /** The samples of every metric of {@code specs} that has sums in either cohort, for the judgment. */
    public Map<String, MetricSample> samples(List<MetricSpec> specs) {
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
