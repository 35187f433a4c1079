package dev.rollguard.alert.domain.judgment;

import java.util.List;
import java.util.Objects;

/** What a flag's current stage holds for one metric: the treated and the control cohort's moments. */
public sealed interface MetricSample {

    /** Moments of a proportion or a mean. */
    record Ratio(CohortMoments treatment, CohortMoments control) implements MetricSample {
        public Ratio {
            Objects.requireNonNull(treatment, "treatment");
            Objects.requireNonNull(control, "control");
        }
    }

    /**
     * Moments of a tail ladder, one per threshold in the order of {@link MetricSpec#ladder()}: {@code Y_i} counts the
     * client's events beyond the threshold, {@code X_i} its events with a measurement (the same for every rung).
     */
    record Ladder(List<CohortMoments> treatment, List<CohortMoments> control) implements MetricSample {
        public Ladder {
            treatment = List.copyOf(treatment);
            control = List.copyOf(control);
            if (treatment.size() != control.size() || treatment.isEmpty()) {
                throw new IllegalArgumentException("both cohorts need one moment per ladder threshold");
            }
        }
    }

    static MetricSample ratio(CohortMoments treatment, CohortMoments control) {
        return new Ratio(treatment, control);
    }

    static MetricSample ladder(List<CohortMoments> treatment, List<CohortMoments> control) {
        return new Ladder(treatment, control);
    }
}
