package dev.rollguard.rollback.domain;

/** Progress of a stored action, so that an alert read again after a crash resumes where it stopped. */
public enum ActionState {
    /** Decided to change the flag; the flag-service has not confirmed yet (or the confirmation was not recorded). */
    PENDING,
    /** Final outcome recorded. */
    DONE
}
