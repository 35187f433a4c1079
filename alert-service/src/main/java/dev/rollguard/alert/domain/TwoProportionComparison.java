package dev.rollguard.alert.domain;

import org.apache.commons.math3.distribution.NormalDistribution;

/**
 * One-sided pooled two-proportion z-test: is the proportion of bad events in the treatment cohort larger than in the
 * control cohort? Under the null hypothesis (treatment not worse) both cohorts share one proportion, estimated from
 * the pooled counts; {@code z = (pT - pC) / sqrt(p(1 - p)(1/nT + 1/nC))} and the p-value is {@code P(Z >= z)} for a
 * standard normal Z. The normal approximation needs a few bad events per cohort, which the rules' minimum sample size
 * provides.
 */
public final class TwoProportionComparison {

    public static final String METHOD = "two-proportion-z";

    private static final NormalDistribution STANDARD_NORMAL = new NormalDistribution(null, 0, 1);

    private TwoProportionComparison() {}

    /**
     * Compares bad-event counts of the two cohorts. {@code treatmentValue} and {@code controlValue} are the figures the
     * rule watches, carried into the result as evidence.
     */
    public static ComparisonResult compare(
            long treatmentBad,
            long treatmentTotal,
            long controlBad,
            long controlTotal,
            double treatmentValue,
            double controlValue) {
        if (treatmentTotal <= 0 || controlTotal <= 0) {
            throw new IllegalArgumentException("both cohorts need at least one event");
        }
        double pT = (double) treatmentBad / treatmentTotal;
        double pC = (double) controlBad / controlTotal;
        double pooled = (double) (treatmentBad + controlBad) / (treatmentTotal + controlTotal);
        double variance = pooled * (1 - pooled) * (1.0 / treatmentTotal + 1.0 / controlTotal);
        double pValue;
        if (variance == 0) {
            // All events good or all bad in both cohorts: the cohorts do not differ.
            pValue = 1.0;
        } else {
            double z = (pT - pC) / Math.sqrt(variance);
            pValue = 1.0 - STANDARD_NORMAL.cumulativeProbability(z);
        }
        return new ComparisonResult(
                treatmentValue, controlValue, treatmentTotal, controlTotal, pT - pC, pValue, METHOD);
    }
}
