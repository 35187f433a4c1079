package dev.rollguard.schemas.targeting;

/**
 * The outcome of evaluating a flag for one subject.
 *
 * @param variant the variant served (the flag's treatment or off variant)
 * @param treated whether the subject is in the treatment cohort
 * @param reason why
 * @param errorCode set with {@link EvaluationReason#ERROR}: {@code TARGETING_KEY_MISSING} or {@code GENERAL}
 */
public record Evaluation(String variant, boolean treated, EvaluationReason reason, String errorCode) {

    public static final String TARGETING_KEY_MISSING = "TARGETING_KEY_MISSING";
    public static final String GENERAL = "GENERAL";

    static Evaluation treatment(String variant, EvaluationReason reason) {
        return new Evaluation(variant, true, reason, null);
    }

    static Evaluation off(String variant, EvaluationReason reason) {
        return new Evaluation(variant, false, reason, null);
    }

    static Evaluation error(String variant, String errorCode) {
        return new Evaluation(variant, false, EvaluationReason.ERROR, errorCode);
    }
}
