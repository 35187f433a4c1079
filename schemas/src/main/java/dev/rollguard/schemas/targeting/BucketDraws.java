package dev.rollguard.schemas.targeting;

import dev.rollguard.schemas.bucketing.Bucketing;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.TargetingRule;
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
public final class BucketDraws {

    /** {@link #share} of a flag that draws no subject by its bucket. */
    public static final int NONE = -1;

    private BucketDraws() {}

    /**
     * The share (basis points) whose draws are compared: the flag's own when some subject reaches it and it splits
     * them; a rule that matches everyone stands for the flag's own (no subject gets past it); else the first rule
     * without a fixed variant that splits; {@link #NONE} when no subject is drawn.
     */
    public static int share(FlagChangedEvent flag) {
        List<TargetingRule> rules = flag.getRules() == null ? List.of() : flag.getRules();
        int firstRule = NONE;
        for (TargetingRule rule : rules) {
            boolean drawing = rule.getVariant() == null && splits(rule.getRolloutBasisPoints());
            if (Rollouts.matchesEveryone(rule, flag)) {
                // No subject reaches the flag's own share: this rule is the flag's default.
                return drawing ? rule.getRolloutBasisPoints() : firstRule;
            }
            if (drawing && firstRule == NONE) {
                firstRule = rule.getRolloutBasisPoints();
            }
        }
        return splits(flag.getRolloutBasisPoints()) ? flag.getRolloutBasisPoints() : firstRule;
    }

    /**
     * Whether the subject of {@code targetingKey} is on the flag's deny- or allow-list, which the evaluator reads
     * before any rule or share: such a subject is never drawn, whatever attributes its event lacks.
     */
    public static boolean listed(FlagChangedEvent flag, String targetingKey) {
        return targetingKey != null
                && (flag.getDenyList().contains(targetingKey)
                        || flag.getAllowList().contains(targetingKey));
    }

    /** Whether the evaluation drew its subject by the flag's bucket at the compared {@code share}. */
    public static boolean drawn(FlagChangedEvent flag, Evaluation evaluation, int share) {
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
     * Whether a share puts some subjects in the treatment and the others in the control: strictly between 0 and
     * 100 %. A flag with weighted variants draws a variant for every subject its share takes, but the off variant
     * has no weight, so at 100 % every subject drawn is treated and the draw has no control.
     */
    private static boolean splits(int basisPoints) {
        return basisPoints > 0 && basisPoints < Bucketing.BUCKETS;
    }
}
