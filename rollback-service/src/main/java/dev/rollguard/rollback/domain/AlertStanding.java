package dev.rollguard.rollback.domain;

/** Whether an alert still fires at the alert-service when the guard decides on it. */
public enum AlertStanding {
    /** Its latest transition at the alert-service is a firing one. */
    FIRING,
    /** The alert-service recorded its resolution: it resolved after it was raised. */
    ENDED,
    /** The alert-service could not say, or never had the alert. */
    UNKNOWN
}
