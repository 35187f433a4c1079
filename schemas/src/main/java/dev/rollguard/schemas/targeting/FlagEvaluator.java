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
 *   <li>parent flag not serving its treatment to this subject (off, killed, or outside its rollout): off variant,
 *       {@code DISABLED};
 *   <li>subject on the deny-list: off variant, {@code TARGETING_MATCH};
 *   <li>subject on the allow-list: treatment variant, {@code TARGETING_MATCH};
 *   <li>rollout at 100 %: treatment, {@code STATIC}; at 0 %: off variant, {@code DEFAULT};
 *   <li>otherwise the subject's bucket ({@link Bucketing}) decides: {@code SPLIT}; without a targeting key this is
 *       an error ({@code TARGETING_KEY_MISSING}) serving the off variant.
 * </ol>
 */
public final class FlagEvaluator {

    /** Longest prerequisite chain followed before the evaluation is declared broken (guards against cycles). */
    public static final int MAX_PARENT_DEPTH = 16;

    private FlagEvaluator() {}

    /**
     * Evaluates {@code flag} for {@code targetingKey}.
     *
     * @param flag the flag's current state
     * @param targetingKey the subject; may be null or blank when the subject is anonymous
     * @param flags looks up other flags by key (for prerequisites); returns null for unknown keys
     * @param globalKill whether the environment's global kill switch is on
     */
    public static Evaluation evaluate(
            FlagChangedEvent flag, String targetingKey, Function<String, FlagChangedEvent> flags, boolean globalKill) {
        return evaluate(flag, targetingKey, flags, globalKill, 0);
    }

    private static Evaluation evaluate(
            FlagChangedEvent flag,
            String targetingKey,
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
            Evaluation parentResult = evaluate(parent, targetingKey, flags, false, depth + 1);
            if (parentResult.reason() == EvaluationReason.ERROR) {
                return Evaluation.error(off, parentResult.errorCode());
            }
            if (!parentResult.treated()) {
                return Evaluation.off(off, EvaluationReason.DISABLED);
            }
        }
        boolean hasKey = targetingKey != null && !targetingKey.isBlank();
        if (hasKey && flag.getDenyList().contains(targetingKey)) {
            return Evaluation.off(off, EvaluationReason.TARGETING_MATCH);
        }
        if (hasKey && flag.getAllowList().contains(targetingKey)) {
            return Evaluation.treatment(flag.getTreatmentVariant(), EvaluationReason.TARGETING_MATCH);
        }
        int basisPoints = flag.getRolloutBasisPoints();
        if (basisPoints >= Bucketing.BUCKETS) {
            return Evaluation.treatment(flag.getTreatmentVariant(), EvaluationReason.STATIC);
        }
        if (basisPoints <= 0) {
            return Evaluation.off(off, EvaluationReason.DEFAULT);
        }
        if (!hasKey) {
            return Evaluation.error(off, Evaluation.TARGETING_KEY_MISSING);
        }
        return Bucketing.inRollout(flag.getFlagKey(), targetingKey, basisPoints)
                ? Evaluation.treatment(flag.getTreatmentVariant(), EvaluationReason.SPLIT)
                : Evaluation.off(off, EvaluationReason.SPLIT);
    }
}
