package dev.rollguard.alert.domain.judgment;

/** The state of one metric of a flag's current stage. */
public enum MetricStatus {
    /** A cohort has no client with data on this metric. */
    NO_DATA,
    /** Both cohorts have data, but fewer clients or events than the metric's minimums. */
    INSUFFICIENT_DATA,
    /** The treatment is worse than the control by more than the tolerance, with the evidence of its severity. */
    REGRESSION,
    /** The treatment is within the tolerance of the control at the confidence level: the promotion signal. */
    NON_INFERIOR,
    /** Neither yet. */
    INCONCLUSIVE
}
