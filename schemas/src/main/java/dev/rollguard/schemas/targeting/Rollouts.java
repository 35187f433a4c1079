package dev.rollguard.schemas.targeting;

import dev.rollguard.schemas.bucketing.Bucketing;
import dev.rollguard.schemas.event.FlagChangedEvent;
import dev.rollguard.schemas.event.Segment;
import dev.rollguard.schemas.event.TargetingRule;
import dev.rollguard.schemas.event.VariantWeight;
import java.util.List;

/** Which flags are being rolled out: the ones whose treatment can be compared with a control, and so are guarded. */
public final class Rollouts {

    private Rollouts() {}

    /**
     * Whether a flag is under rollout: on, not killed nor archived, and some subject can get a treatment while some
     * other gets the control (the off variant). Considered: the allow-list (treatment) and the deny-list (control),
     * each rule's variant or share (a rule may match, so each counts), the flag's own share unless a rule that matches everyone
     * ({@link #matchesEveryone}) comes before it, and the variant weights (a treatment by percentage is a
     * weighted variant). A flag at 0 % or 100 % with nothing else, killed, disabled or archived has nothing to compare.
     */
    public static boolean underRollout(FlagChangedEvent flag) {
        if (!flag.getEnabled() || flag.getKilled() || flag.getArchived()) {
            return false;
        }
        String off = flag.getOffVariant();
        boolean treatment = false;
        for (String key : flag.getAllowList()) {
            if (!flag.getDenyList().contains(key)) {
                treatment = true;
                break;
            }
        }
        boolean control = !flag.getDenyList().isEmpty();
        boolean defaultReached = true;
        List<TargetingRule> rules = flag.getRules() == null ? List.of() : flag.getRules();
        for (TargetingRule rule : rules) {
            if (rule.getVariant() != null) {
                if (rule.getVariant().equals(off)) {
                    control = true;
                } else {
                    treatment = true;
                }
            } else {
                treatment |= rule.getRolloutBasisPoints() > 0 && treats(flag);
                control |= rule.getRolloutBasisPoints() < Bucketing.BUCKETS;
            }
            if (matchesEveryone(rule, flag)) {
                defaultReached = false;
                break;
            }
        }
        if (defaultReached) {
            int share = flag.getRolloutBasisPoints();
            treatment |= share > 0 && treats(flag);
            control |= share < Bucketing.BUCKETS;
        }
        return treatment && control;
    }

    /** Whether a subject a percentage puts in the treatment gets something other than the off variant. */
    private static boolean treats(FlagChangedEvent flag) {
        if (flag.getVariantWeights() == null || flag.getVariantWeights().isEmpty()) {
            return !flag.getTreatmentVariant().equals(flag.getOffVariant());
        }
        for (VariantWeight w : flag.getVariantWeights()) {
            if (w.getWeight() > 0 && !w.getVariant().equals(flag.getOffVariant())) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether a rule matches every subject: it has no constraints, and each of its segments (if any) has none either.
     * No subject gets past such a rule, so the rules after it and the flag's own share are never reached. A segment the
     * flag does not carry matches nobody (the evaluator's reading), so a rule naming one is not such a rule.
     */
    public static boolean matchesEveryone(TargetingRule rule, FlagChangedEvent flag) {
        if (rule.getConstraints() != null && !rule.getConstraints().isEmpty()) {
            return false;
        }
        if (rule.getSegments() == null || rule.getSegments().isEmpty()) {
            return true;
        }
        for (String key : rule.getSegments()) {
            Segment segment = null;
            for (Segment s : flag.getSegments() == null ? List.<Segment>of() : flag.getSegments()) {
                if (s.getKey().equals(key)) {
                    segment = s;
                    break;
                }
            }
            if (segment == null
                    || (segment.getConstraints() != null
                            && !segment.getConstraints().isEmpty())) {
                return false;
            }
        }
        return true;
    }
}
