package dev.rollguard.alert.domain.judgment;

/** The state of a flag's current stage across all its guarded metrics. */
public enum FlagStatus {
    /** A cohort has no data on any guarded metric: silence, never a kill. */
    NO_DATA,
    /** No metric has enough data in both cohorts to be judged yet. */
    INSUFFICIENT_DATA,
    /** At least one metric regressed; {@link FlagVerdict#severity()} says how strong the evidence is. */
    REGRESSION,
    /** Non-inferior on every guarded metric that has data, at the flag's confidence: safe to promote. */
    HEALTHY,
    /** Neither yet. */
    INCONCLUSIVE
}
