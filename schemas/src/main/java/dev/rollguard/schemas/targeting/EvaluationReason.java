package dev.rollguard.schemas.targeting;

/** Why a subject got the value it got; the names are OpenFeature's resolution reasons. */
public enum EvaluationReason {
    /** The flag serves one value to everyone (on at 100 % with no lists). */
    STATIC,
    /** The subject is on the allow-list or the deny-list. */
    TARGETING_MATCH,
    /** The subject's bucket decided (a percentage rollout). */
    SPLIT,
    /** The flag is off: global kill switch, killed, disabled, archived, or its parent is off for the subject. */
    DISABLED,
    /** Nothing targeted the subject: the flag's off value (a rollout of 0 %). */
    DEFAULT,
    /** The flag cannot be evaluated for this subject (missing targeting key, broken prerequisite chain). */
    ERROR
}
