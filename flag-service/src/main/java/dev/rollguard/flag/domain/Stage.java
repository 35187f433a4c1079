package dev.rollguard.flag.domain;

/**
 * One step of a rollout plan.
 *
 * @param name shown to operators, e.g. "internal", "5%"
 * @param basisPoints rollout share in hundredths of a percent
 * @param minSoakSeconds minimum time in the stage before it may advance
 * @param minClientsPerCohort clients each cohort (treated and control) must have seen before the stage may advance
 *     automatically
 * @param promotion whether the stage may advance by itself once its evidence allows it, or waits for an operator
 * @param tolerancePercent for an automatic promotion, the relative worsening of any guarded metric that the guard must
 *     rule out first (50: no metric more than 50 % worse than control, at the guard's confidence); null: the guard's
 *     own tolerance, i.e. its HEALTHY verdict
 */
public record Stage(
        String name,
        int basisPoints,
        long minSoakSeconds,
        long minClientsPerCohort,
        Promotion promotion,
        Integer tolerancePercent) {

    public Stage {
        if (promotion == null) {
            promotion = Promotion.MANUAL;
        }
    }
}
