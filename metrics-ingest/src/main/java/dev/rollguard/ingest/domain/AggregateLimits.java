package dev.rollguard.ingest.domain;

/**
 * Bounds of one window aggregate, so that its size stays constant however many events it counts.
 *
 * @param relativeAccuracy relative accuracy of the DDSketch percentiles
 * @param distinctExactUpTo K of the distinct-client counter
 * @param errorCodes error codes kept with their counts
 * @param recentErrors most recent errors kept
 */
public record AggregateLimits(double relativeAccuracy, int distinctExactUpTo, int errorCodes, int recentErrors) {

    public static final AggregateLimits DEFAULTS = new AggregateLimits(0.01, 1024, 20, 10);
}
