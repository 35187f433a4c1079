package dev.rollguard.alert.domain.judgment;

import java.util.Locale;

/** How a metric's values and ladder thresholds are written in a verdict's summary. */
public enum MetricUnit {
    /** A fraction, written as a percentage. */
    FRACTION,
    /** A count or a plain number. */
    NUMBER,
    /** A value that is already a percentage (storage used %). */
    PERCENT,
    MILLISECONDS,
    BYTES_PER_SECOND;

    /** The value for people, e.g. {@code 3.1 %}, {@code 34.8 s}, {@code 1.2 MB/s}. */
    public String format(double value) {
        if (Double.isNaN(value)) {
            return "n/a";
        }
        return switch (this) {
            case FRACTION -> Summaries.decimal(100 * value) + " %";
            case NUMBER -> Summaries.decimal(value);
            case PERCENT -> Summaries.decimal(value) + " %";
            case MILLISECONDS ->
                value >= 1000 ? Summaries.decimal(value / 1000) + " s" : Summaries.decimal(value) + " ms";
            case BYTES_PER_SECOND -> bytesPerSecond(value);
        };
    }

    private static String bytesPerSecond(double value) {
        if (value >= 1e6) {
            return Summaries.decimal(value / 1e6) + " MB/s";
        }
        if (value >= 1e3) {
            return Summaries.decimal(value / 1e3) + " kB/s";
        }
        return String.format(Locale.ROOT, "%.0f B/s", value);
    }
}
