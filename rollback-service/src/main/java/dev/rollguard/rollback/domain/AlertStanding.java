package dev.rollguard.rollback.domain;

/** Whether an alert still fires at the alert-service when the guard decides on it. */
public enum AlertStanding {
    /** Listed among the alerts firing now. */
    FIRING,
    /** Not listed any more: it resolved after it was raised. */
    ENDED,
    /** The alert-service could not say. */
    UNKNOWN
}
