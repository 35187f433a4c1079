package dev.rollguard.rollback.domain;

/** A request names a rollback action that is not stored (for example as the cursor of a page of the history). */
public class UnknownActionException extends RuntimeException {

    private final String id;

    public UnknownActionException(String id) {
        super("No rollback action with id " + id + ".");
        this.id = id;
    }

    public String id() {
        return id;
    }
}
