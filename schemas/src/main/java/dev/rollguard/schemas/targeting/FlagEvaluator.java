package dev.rollguard.schemas.targeting;

import dev.rollguard.schemas.bucketing.Bucketing;
import dev.rollguard.schemas.event.FlagChangedEvent;
import java.util.function.Function;

/**
 * The evaluation order of Rollguard, shared by the flag-service (what a client is served) and metrics-ingest (which
 * cohort a client's telemetry belongs to), so the two can never disagree:
 *
 * <ol>
 *   <li>global kill switch on: off variant, {@code DISABLED};
 *   <li>flag archived, disabled or killed: off variant, {@code DISABLED};
 *   <li>parent flag not serving its treatment to this subject (off, killed, or outside its rollout; evaluated with the
 *       same context): off variant, {@code DISABLED};
 *   <li>subject on the deny-list: off variant, {@code TARGETING_MATCH};
 *   <li>subject on the allow-list: treatment variant, {@code TARGETING_MATCH};
 *   <li>the targeting rules in order; the first whose segments and constraints all match decides, and names itself
 *       in {@link Evaluation#ruleId()}: a rule with a variant serves it ({@code TARGETING_MATCH}); a rule without
 *       one rolls out on its own share by the flag's bucket ({@code SPLIT}; a share of 100 % or 0 % is {@code
 *       TARGETING_MATCH});
 *   <li>no rule matched: the flag's rollout: at 100 % the treatment, {@code STATIC}; at 0 % the off variant, {@code
 *       DEFAULT}; in between the subject's bucket ({@link Bucketing}) decides, {@code SPLIT}.
 * </ol>
 *
 * A subject a percentage puts in the treatment gets the treatment variant, or, when the flag has variant weights, the
 * variant its second bucket ({@link Bucketing#variantBucket}) falls in ({@code SPLIT}, even at 100 %). Wherever a
 * bucket is needed and the context has no targeting key, the result is an error ({@code TARGETING_KEY_MISSING})
 * serving the off variant.
 *
 * <p>A flag's rules are compiled on first use and kept while the flag object lives (regular expressions, versions,
 * numbers and dates parsed once); a flag is treated as immutable once evaluated, except that replacing its rules,
 * segments or weights list is noticed.
 */
public final class FlagEvaluator {

    /** Longest prerequisite chain followed before the evaluation is declared broken (guards against cycles). */
    public static final int MAX_PARENT_DEPTH = 16;

    private FlagEvaluator() {}

    /**
     * Evaluates {@code flag} for a subject known only by its targeting key (rules on other attributes do not match).
     *
     * @param flag the flag's current state
     * @param targetingKey the subject; may be null or blank when the subject is anonymous
     * @param flags looks up other flags by key (for prerequisites); returns null for unknown keys
     * @param globalKill whether the environment's global kill switch is on
     */
    public static Evaluation evaluate(
            FlagChangedEvent flag, String targetingKey, Function<String, FlagChangedEvent> flags, boolean globalKill) {
        return evaluate(flag, EvaluationContext.of(targetingKey), flags, globalKill);
    }

    /**
     * Evaluates {@code flag} for the subject of {@code context}.
     *
     * @param flag the flag's current state
     * @param context the subject's targeting key and attributes
     * @param flags looks up other flags by key (for prerequisites); returns null for unknown keys
     * @param globalKill whether the environment's global kill switch is on
     */
    public static Evaluation evaluate(
            FlagChangedEvent flag,
            EvaluationContext context,
            Function<String, FlagChangedEvent> flags,
            boolean globalKill) {
        return evaluate(flag, context, flags, globalKill, 0);
    }

    private static Evaluation evaluate(
            FlagChangedEvent flag,
            EvaluationContext context,
            Function<String, FlagChangedEvent> flags,
            boolean globalKill,
            int depth) {
        String off = flag.getOffVariant();
        if (globalKill || flag.getArchived() || !flag.getEnabled() || flag.getKilled()) {
            return Evaluation.off(off, EvaluationReason.DISABLED);
        }
        String parentKey = flag.getParentKey();
        if (parentKey != null) {
            FlagChangedEvent parent = flags.apply(parentKey);
            if (parent == null) {
                return Evaluation.off(off, EvaluationReason.DISABLED);
            }
            if (depth >= MAX_PARENT_DEPTH) {
                return Evaluation.error(off, Evaluation.GENERAL);
            }
            Evaluation parentResult = evaluate(parent, context, flags, false, depth + 1);
            if (parentResult.reason() == EvaluationReason.ERROR) {
                return Evaluation.error(off, parentResult.errorCode());
            }
            if (!parentResult.treated()) {
                return Evaluation.off(off, EvaluationReason.DISABLED);
            }
        }
        String targetingKey = context.targetingKey();
        boolean hasKey = context.hasTargetingKey();
        if (hasKey && flag.getDenyList().contains(targetingKey)) {
            return Evaluation.off(off, EvaluationReason.TARGETING_MATCH);
        }
        if (hasKey && flag.getAllowList().contains(targetingKey)) {
            return Evaluation.treatment(flag.getTreatmentVariant(), EvaluationReason.TARGETING_MATCH);
        }
        CompiledFlag compiled = plain(flag) ? null : CompiledFlag.of(flag);
        if (compiled != null && compiled.rules.length > 0) {
            Subject subject = new Subject(context, compiled.attributes);
            for (CompiledFlag.Rule rule : compiled.rules) {
                if (rule.matches(subject)) {
                    return byRule(flag, compiled, rule, context);
                }
            }
        }
        int basisPoints = flag.getRolloutBasisPoints();
        boolean weighted = compiled != null && compiled.weightedVariants != null;
        if (basisPoints >= Bucketing.BUCKETS && !weighted) {
            return Evaluation.treatment(flag.getTreatmentVariant(), EvaluationReason.STATIC);
        }
        if (basisPoints <= 0) {
            return Evaluation.off(off, EvaluationReason.DEFAULT);
        }
        if (!hasKey) {
            return Evaluation.error(off, Evaluation.TARGETING_KEY_MISSING);
        }
        if (basisPoints < Bucketing.BUCKETS && !Bucketing.inRollout(flag.getFlagKey(), targetingKey, basisPoints)) {
            return Evaluation.off(off, EvaluationReason.SPLIT);
        }
        String variant = weighted ? weighted(flag, compiled, targetingKey) : flag.getTreatmentVariant();
        return new Evaluation(variant, !variant.equals(off), EvaluationReason.SPLIT, null, null);
    }

    private static Evaluation byRule(
            FlagChangedEvent flag, CompiledFlag compiled, CompiledFlag.Rule rule, EvaluationContext context) {
        String off = flag.getOffVariant();
        if (rule.variant() != null) {
            return new Evaluation(
                    rule.variant(), !rule.variant().equals(off), EvaluationReason.TARGETING_MATCH, null, rule.id());
        }
        int basisPoints = rule.basisPoints();
        boolean weighted = compiled.weightedVariants != null;
        if (basisPoints <= 0) {
            return new Evaluation(off, false, EvaluationReason.TARGETING_MATCH, null, rule.id());
        }
        if (basisPoints >= Bucketing.BUCKETS && !weighted) {
            String treatment = flag.getTreatmentVariant();
            return new Evaluation(treatment, !treatment.equals(off), EvaluationReason.TARGETING_MATCH, null, rule.id());
        }
        String targetingKey = context.targetingKey();
        if (!context.hasTargetingKey()) {
            return new Evaluation(off, false, EvaluationReason.ERROR, Evaluation.TARGETING_KEY_MISSING, rule.id());
        }
        if (basisPoints < Bucketing.BUCKETS && !Bucketing.inRollout(flag.getFlagKey(), targetingKey, basisPoints)) {
            return new Evaluation(off, false, EvaluationReason.SPLIT, null, rule.id());
        }
        String variant = weighted ? weighted(flag, compiled, targetingKey) : flag.getTreatmentVariant();
        return new Evaluation(variant, !variant.equals(off), EvaluationReason.SPLIT, null, rule.id());
    }

    private static String weighted(FlagChangedEvent flag, CompiledFlag compiled, String targetingKey) {
        return compiled.weightedVariant(Bucketing.variantBucket(flag.getFlagKey(), targetingKey));
    }

    /** A flag without rules or weights needs nothing compiled (the path every flag took before targeting). */
    private static boolean plain(FlagChangedEvent flag) {
        return (flag.getRules() == null || flag.getRules().isEmpty())
                && (flag.getVariantWeights() == null || flag.getVariantWeights().isEmpty());
    }
}
