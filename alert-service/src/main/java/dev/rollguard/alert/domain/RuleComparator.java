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
     * the threshold (a margin) and the difference is statistically significant. A flag with weighted variants has a
     * treated cohort per variant: each is compared with the control window of the same interval on its own scope.
     */
    WORSE_THAN_CONTROL,
    /**
     * The guard: the flag's treatment against its control on every guard metric, with the evidence accumulated since
     * the rollout stage began (an always-valid sequential test); a level's threshold is the relative tolerance, e.g.
     * 0.2 for "at most 20 % worse than control". Breaches when the guard calls a regression at the level's severity.
     */
    GUARD;

    /** True for the comparators that judge a flag's treatment cohort against its control. */
    public boolean comparesCohorts() {
        return this == WORSE_THAN_CONTROL || this == GUARD;
    }

    public boolean breaches(double value, double threshold) {
        return switch (this) {
            case GT, WORSE_THAN_CONTROL, GUARD -> value > threshold;
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
