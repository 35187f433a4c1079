package dev.rollguard.alert.domain.judgment;

import dev.rollguard.schemas.guard.GuardMetrics;
import java.util.List;

/** The default guard pack: the metrics every partially rolled-out flag is guarded on, and every default in one place. */
public final class GuardPack {

    /** Probability that a healthy flag stage is ever called a critical regression, across all its metrics. */
    public static final double ALPHA = 0.01;

    /** Probability that a healthy flag stage ever shows a warning, across all its metrics. */
    public static final double WARNING_ALPHA = 0.05;

    /** Tolerated relative worsening: at most 20 % worse than control. */
    public static final double RELATIVE_TOLERANCE = 0.20;

    /**
     * Tolerated absolute worsening of failure-like proportions, on top of the relative tolerance: 0.1 percentage
     * point. It keeps a 0.01 % to 0.03 % blip from counting as a regression, and lets a stage whose cohorts both have
     * no failure at all be shown non-inferior once enough events were seen.
     */
    public static final double PROPORTION_ABSOLUTE_TOLERANCE = 0.001;

    /** Clients per cohort below which a metric is not judged (INSUFFICIENT_DATA). */
    public static final long MINIMUM_CLIENTS = 20;

    /** Events (or reports) per cohort below which a metric is not judged (INSUFFICIENT_DATA). */
    public static final double MINIMUM_EVENTS = 50;

    /** The mixture scale {@code tau} is this many times the control value (see {@link MetricComparison}). */
    public static final double MIXTURE_SCALE_RELATIVE = 2.0;

    /**
     * Smallest mixture scale of proportions: 5 percentage points. With failure rates of about 1 % the boundary is
     * then within 4 % of its tightest at the information where a 1 % to 3 % rise becomes detectable, and a 1 % to
     * 20 % rise is still callable from one 5-second window of a 10 % rollout.
     */
    public static final double PROPORTION_MIXTURE_SCALE_FLOOR = 0.05;

    /**
     * Tolerated absolute worsening of a ladder's tail share, on top of the relative tolerance: 0.1 percentage point of
     * events beyond the compared rung, as for failure-like proportions. The rung's control share is near
     * {@link #TAIL_SHARE} (5 %), where this adds 2 points to the 20 % (22 % in all; 24 % at a share of 2.5 %); it
     * matters where the control's share at the rung is small (a tight distribution, the rung far into the tail): a
     * margin of {@code 0.2 * R_C} alone would shrink with it, so that a few treated events beyond the rung make a
     * regression and two identical cohorts need millions of events to be shown non-inferior. A tenth of a point of
     * events beyond the control's tail rung is a small part of one ladder step's worth of tail share (5 % against 2.5
     * to 3.5 % at the next rung for the spread of real durations), so tolerating it hides nothing the ladder could
     * resolve.
     */
    public static final double TAIL_ABSOLUTE_TOLERANCE = 0.001;

    /** Smallest mixture scale of tail shares (which sit near {@link #TAIL_SHARE} in the control). */
    public static final double TAIL_MIXTURE_SCALE_FLOOR = 0.05;

    /** Smallest mixture scale of means, in the metric's units. */
    public static final double MEAN_MIXTURE_SCALE_FLOOR = 1.0;

    /** Tail quantile of the ladders: the rung at the control's p95 (durations) or p5 (throughput). */
    public static final double TAIL_SHARE = 0.05;

    /** Sync duration ladder, the one metrics-ingest counts by: 100 ms * sqrt(2)^k, k = 0..23 (100 ms to 290 s). */
    public static final List<Double> SYNC_DURATION_LADDER_MS = GuardMetrics.SYNC_DURATION_LADDER_MS;

    /** Upload throughput ladder, the one metrics-ingest counts by: 8 kB/s * sqrt(2)^k, k = 0..23. */
    public static final List<Double> UPLOAD_THROUGHPUT_LADDER_BYTES_PER_SECOND =
            GuardMetrics.UPLOAD_THROUGHPUT_LADDER_BYTES_PER_SECOND;

    public static final MetricSpec FAILURE = MetricSpec.proportion(GuardMetrics.FAILURE, "failure rate");
    public static final MetricSpec SYNC_FAILURE = MetricSpec.proportion(GuardMetrics.SYNC_FAILURE, "sync failure rate");
    public static final MetricSpec UPLOAD_FAILURE =
            MetricSpec.proportion(GuardMetrics.UPLOAD_FAILURE, "upload failure rate");
    public static final MetricSpec QUOTA_EXCEEDED =
            MetricSpec.proportion(GuardMetrics.QUOTA_EXCEEDED, "quota-exceeded share");
    public static final MetricSpec PENDING_MUTATIONS =
            MetricSpec.mean(GuardMetrics.PENDING_MUTATIONS, "pending mutations", MetricUnit.NUMBER, 1.0);
    public static final MetricSpec FAILED_MUTATIONS =
            MetricSpec.mean(GuardMetrics.FAILED_MUTATIONS, "failed mutations", MetricUnit.NUMBER, 0.1);
    public static final MetricSpec SYNC_QUEUE_LENGTH =
            MetricSpec.mean(GuardMetrics.SYNC_QUEUE_LENGTH, "sync queue length", MetricUnit.NUMBER, 1.0);
    public static final MetricSpec STORAGE_USED =
            MetricSpec.mean(GuardMetrics.STORAGE_USED, "storage used", MetricUnit.PERCENT, 1.0);
    public static final MetricSpec SYNC_DURATION = MetricSpec.tailLadder(
            GuardMetrics.SYNC_DURATION,
            "sync duration",
            Direction.HIGHER_IS_WORSE,
            MetricUnit.MILLISECONDS,
            SYNC_DURATION_LADDER_MS);
    public static final MetricSpec UPLOAD_THROUGHPUT = MetricSpec.tailLadder(
            GuardMetrics.UPLOAD_THROUGHPUT,
            "upload throughput",
            Direction.LOWER_IS_WORSE,
            MetricUnit.BYTES_PER_SECOND,
            UPLOAD_THROUGHPUT_LADDER_BYTES_PER_SECOND);

    /** The default guard pack, in the order verdicts list them. */
    public static final List<MetricSpec> DEFAULT = List.of(
            FAILURE,
            SYNC_FAILURE,
            UPLOAD_FAILURE,
            QUOTA_EXCEEDED,
            PENDING_MUTATIONS,
            FAILED_MUTATIONS,
            SYNC_QUEUE_LENGTH,
            STORAGE_USED,
            SYNC_DURATION,
            UPLOAD_THROUGHPUT);

    private GuardPack() {}

    /** {@code base * sqrt(2)^k} for {@code k = 0 .. rungs - 1} (the ladders' shape, {@link GuardMetrics#ladder}). */
    public static List<Double> ladder(double base, int rungs) {
        return GuardMetrics.ladder(base, rungs);
    }
}
