package dev.rollguard.alert.domain;

/** How a rule compares the observed figure with a level's threshold. */
public enum RuleComparator {
    /** Breach when the value is above the threshold. */
    GT,
    /** Breach when the value is at or above the threshold. */
    GTE,
    /** Breach when the value is below the threshold. */
    LT,
    /** Breach when the value is at or below the threshold. */
    LTE,
    /**
     * Comparative: breach when the treatment cohort is worse than the control cohort of the same flag by more than
     * the threshold (a margin) and the difference is statistically significant.
     */
    WORSE_THAN_CONTROL;

    public boolean breaches(double value, double threshold) {
        return switch (this) {
            case GT, WORSE_THAN_CONTROL -> value > threshold;
            case GTE -> value >= threshold;
            case LT -> value < threshold;
            case LTE -> value <= threshold;
        };
    }

    /** True when a larger threshold is the stricter one (critical must then be at least the warning threshold). */
    public boolean higherIsWorse() {
        return this != LT && this != LTE;
    }
}
