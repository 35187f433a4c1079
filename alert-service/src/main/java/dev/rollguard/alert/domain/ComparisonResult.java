package dev.rollguard.alert.domain;

/**
 * Outcome of comparing the treatment cohort of a flag with its control cohort on one proportion.
 *
 * @param treatmentValue the metric in the treatment cohort, as the window reports it
 * @param controlValue the metric in the control cohort
 * @param treatmentSamples events behind the treatment value
 * @param controlSamples events behind the control value
 * @param difference how much worse the treatment is, as a difference of "bad" proportions (positive: worse)
 * @param pValue one-sided p-value of "the treatment is not worse than the control"
 * @param method name of the test
 */
public record ComparisonResult(
        double treatmentValue,
        double controlValue,
        long treatmentSamples,
        long controlSamples,
        double difference,
        double pValue,
        String method) {

    /** Significant at {@code confidence} (e.g. 0.99: p below 0.01). */
    public boolean significantAt(double confidence) {
        return pValue < 1.0 - confidence;
    }
}
