package dev.rollguard.alert.domain.judgment;

/** How strong the evidence of a regression is. */
public enum Severity {
    NONE,
    /** The confidence sequence at the warning level excludes "within tolerance": notify, do not act. */
    WARNING,
    /** The confidence sequence at the flag's alpha excludes "within tolerance": the guard policy applies. */
    CRITICAL
}
