package dev.rollguard.console.view;

import dev.rollguard.schemas.guard.GuardMetrics;
import java.util.Locale;
import java.util.Set;

/**
 * A metric's value with its unit, as the services write their summaries: rates and shares as percentages ({@code 3.11
 * %}), durations in ms or s, storage used in %, counts as numbers. The unit follows from the metric's name: a guard
 * metric of {@link GuardMetrics} (its cohort values are shares of clients or events, means of counts, or storage
 * used in %), or a field of WindowMetricsEvent, whose rates ({@code errorRate}) are fractions in [0, 1], durations end
 * in {@code Ms} and shares of a quota hold {@code Pct}.
 */
public final class MetricUnits {

    /** Guard metrics whose cohort values are plain means (counts). */
    private static final Set<String> GUARD_COUNTS =
            Set.of(GuardMetrics.PENDING_MUTATIONS, GuardMetrics.FAILED_MUTATIONS, GuardMetrics.SYNC_QUEUE_LENGTH);

    /** Guard metrics whose cohort values are shares: proportions, and the tails' share beyond the control's rung. */
    private static final Set<String> GUARD_SHARES = Set.of(
            GuardMetrics.FAILURE,
            GuardMetrics.SYNC_FAILURE,
            GuardMetrics.UPLOAD_FAILURE,
            GuardMetrics.QUOTA_EXCEEDED,
            GuardMetrics.SYNC_DURATION,
            GuardMetrics.UPLOAD_THROUGHPUT);

    private MetricUnits() {}

    /** A value of {@code metric} with its unit; a dash when there is none. */
    public static String format(String metric, Double value) {
        if (value == null || value.isNaN()) {
            return "-";
        }
        if (value.isInfinite()) {
            return value.toString();
        }
        return switch (unit(metric)) {
            case FRACTION -> GuardVerdict.decimal(100 * value) + " %";
            case PERCENT -> GuardVerdict.decimal(value) + " %";
            case MILLISECONDS ->
                Math.abs(value) >= 1000
                        ? GuardVerdict.decimal(value / 1000) + " s"
                        : GuardVerdict.decimal(value) + " ms";
            case NUMBER -> Formats.num(value);
        };
    }

    enum Unit {
        FRACTION,
        PERCENT,
        MILLISECONDS,
        NUMBER
    }

    static Unit unit(String metric) {
        if (metric == null) {
            return Unit.NUMBER;
        }
        if (GUARD_COUNTS.contains(metric)) {
            return Unit.NUMBER;
        }
        if (metric.equals(GuardMetrics.STORAGE_USED)) {
            return Unit.PERCENT;
        }
        if (GUARD_SHARES.contains(metric)) {
            return Unit.FRACTION;
        }
        String name = metric.toLowerCase(Locale.ROOT);
        if (name.endsWith("rate") || name.endsWith("ratio") || name.endsWith("share")) {
            return Unit.FRACTION;
        }
        if (name.contains("pct") || name.contains("percent")) {
            return Unit.PERCENT;
        }
        // The window's field names end in "Ms" (durationP95Ms); "items" or "alarms" are counts, not milliseconds.
        if (metric.endsWith("Ms")
                || name.endsWith("_ms")
                || name.contains("durationms")
                || name.contains("latencyms")) {
            return Unit.MILLISECONDS;
        }
        return Unit.NUMBER;
    }
}
