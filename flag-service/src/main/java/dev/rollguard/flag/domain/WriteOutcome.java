package dev.rollguard.flag.domain;

/**
 * What a write did to the resource it names. The service answers it, the idempotency record keeps it so that a replay
 * answers the same, and the rest layer turns it into a status.
 */
public enum WriteOutcome {
    /** A new resource. */
    CREATED,
    /** The resource changed: a new version. */
    UPDATED,
    /** Nothing to change (a kill of a killed flag, an edit to the same values): the resource as it is. */
    UNCHANGED,
    /** The resource is gone. */
    DELETED
}
