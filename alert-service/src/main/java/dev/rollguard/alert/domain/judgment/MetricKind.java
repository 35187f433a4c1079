package dev.rollguard.alert.domain.judgment;

/** How a metric's numerator and denominator are read. */
public enum MetricKind {
    /** Bad events over events (failure rates, quota-exceeded share): a ratio in [0, 1]. */
    PROPORTION,
    /** Sum of reported values over reports (pending mutations, storage used %). */
    MEAN,
    /**
     * A ladder of fixed thresholds, each with the share of events in the bad tail beyond it (slower than a duration,
     * or below a throughput). The comparison picks the rung at the control's tail quantile and compares the shares.
     */
    TAIL_LADDER
}
