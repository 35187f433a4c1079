package dev.rollguard.ingest.service;

import dev.rollguard.schemas.bucketing.Bucketing;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.TargetingRule;
import dev.rollguard.schemas.targeting.Evaluation;
import dev.rollguard.schemas.targeting.EvaluationReason;
import java.util.List;

/**
 * Which subjects of a flag its bucket drew into the treatment or the control, and so may be compared: the guard's
 * comparison is fair only between subjects that one random draw put on either side.
 *
 * <p>Subjects served by who they are (on the allow- or deny-list, matched by a rule with a fixed variant or a share of
 * 0 or 100 %) are another population than the ones a percentage chose: staff on beta builds, iOS users of a rule. So
 * are subjects whose parent flag is off for them (they never had a chance of the treatment). When the flag draws some
 * subjects by its bucket, only those are compared. The draws compared are those of one share (the flag's own share, or
 * when no subject reaches it, its first rule that splits by share), and of every rule with the same share: pooling
 * draws of different shares would weigh their populations differently in the two cohorts (a rule at 50 % for beta
 * users beside 10 % for everyone else puts five times as many beta users in the treatment as in the control, in
 * proportion). A flag that draws nobody (an allow-list at 0 %, rules with fixed variants) has only populations to
 * compare: its cohorts stay everyone it serves the treatment and everyone it does not, and the runbook says to read
 * their verdicts as hints.
 */
final class BucketDraws {

    /** {@link #share} of a flag that draws no subject by its bucket. */
    static final int NONE = -1;

    private BucketDraws() {}

    /**
     * The share (basis points) whose draws are compared: the flag's own when some subject reaches it and it splits
     * them, else the first rule's without a fixed variant that splits; {@link #NONE} when no subject is drawn.
     */
    static int share(FlagChangedEvent flag) {
        boolean weighted = !flag.getVariantWeights().isEmpty();
        List<TargetingRule> rules = flag.getRules() == null ? List.of() : flag.getRules();
        int firstRule = NONE;
        for (TargetingRule rule : rules) {
            if (rule.getVariant() == null && splits(rule.getRolloutBasisPoints(), weighted) && firstRule == NONE) {
                firstRule = rule.getRolloutBasisPoints();
            }
            if (matchesEveryone(rule)) {
                // No subject reaches the flag's own share.
                return firstRule;
            }
        }
        return splits(flag.getRolloutBasisPoints(), weighted) ? flag.getRolloutBasisPoints() : firstRule;
    }

    /** Whether the evaluation drew its subject by the flag's bucket at the compared {@code share}. */
    static boolean drawn(FlagChangedEvent flag, Evaluation evaluation, int share) {
        if (evaluation.reason() != EvaluationReason.SPLIT || evaluation.errorCode() != null) {
            return false;
        }
        if (evaluation.ruleId() == null) {
            return flag.getRolloutBasisPoints() == share;
        }
        for (TargetingRule rule : flag.getRules()) {
            if (rule.getId().equals(evaluation.ruleId())) {
                return rule.getVariant() == null && rule.getRolloutBasisPoints() == share;
            }
        }
        return false;
    }

    /**
     * Whether a share puts some subjects in the treatment and others not: strictly between 0 and 100 %, or any share
     * of a flag with weighted variants (whose draw of a variant is a split too, even at 100 %).
     */
    private static boolean splits(int basisPoints, boolean weighted) {
        return basisPoints > 0 && (weighted || basisPoints < Bucketing.BUCKETS);
    }

    private static boolean matchesEveryone(TargetingRule rule) {
        return (rule.getSegments() == null || rule.getSegments().isEmpty())
                && (rule.getConstraints() == null || rule.getConstraints().isEmpty());
    }
}
