package dev.rollguard.alert.domain.judgment;

/** Which way a metric gets worse. */
public enum Direction {
    HIGHER_IS_WORSE,
    /**
     * Lower is worse. For a {@link MetricKind#TAIL_LADDER} this says that the ladder counts the low tail (uploads
     * slower than a throughput), so the rung sits at the control's low quantile; the share in that tail is still worse
     * when higher.
     */
    LOWER_IS_WORSE
}
