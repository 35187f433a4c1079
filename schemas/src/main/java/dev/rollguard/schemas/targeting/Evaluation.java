package dev.rollguard.schemas.targeting;

/**
 * The outcome of evaluating a flag for one subject.
 *
 * @param variant the variant served
 * @param treated whether the subject is in a treatment cohort: the variant served is not the flag's off variant
 * @param reason why
 * @param errorCode set with {@link EvaluationReason#ERROR}: {@code TARGETING_KEY_MISSING} or {@code GENERAL}
 * @param ruleId the id of the targeting rule that decided, null when no rule did
 */
public record Evaluation(String variant, boolean treated, EvaluationReason reason, String errorCode, String ruleId) {

    public static final String TARGETING_KEY_MISSING = "TARGETING_KEY_MISSING";
    public static final String GENERAL = "GENERAL";

    /** An outcome no targeting rule decided. */
    public Evaluation(String variant, boolean treated, EvaluationReason reason, String errorCode) {
        this(variant, treated, reason, errorCode, null);
    }

    static Evaluation treatment(String variant, EvaluationReason reason) {
        return new Evaluation(variant, true, reason, null, null);
    }

    static Evaluation off(String variant, EvaluationReason reason) {
        return new Evaluation(variant, false, reason, null, null);
    }

    static Evaluation error(String variant, String errorCode) {
        return new Evaluation(variant, false, EvaluationReason.ERROR, errorCode, null);
    }
}
