package dev.rollguard.alert.repository;

import io.vertx.sqlclient.DatabaseException;

/**
 * Which failures of a write are PostgreSQL refusing the data itself, so that writing the same rows again can never
 * succeed: SQLSTATE class 22 (data exception: a NUL byte in text is 22021, an untranslatable character 22P05, a text
 * longer than its column 22001, a timestamp out of range 22008), 23 (integrity constraint violation) and 54 (program
 * limit exceeded, such as an index row too large). Everything else (a lost or refused connection, a server shutting
 * down, a serialization conflict, a timeout) says nothing about the data and is worth retrying.
 */
public final class DataErrors {

    private DataErrors() {}

    public static boolean isDataError(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof DatabaseException db) {
                String state = db.getSqlState() == null ? "" : db.getSqlState();
                return state.startsWith("22") || state.startsWith("23") || state.startsWith("54");
            }
        }
        return false;
    }

    /**
     * The database's message (which ends with the SQLSTATE in parentheses), or the failure's type and message when it
     * did not come from the database.
     */
    public static String describe(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof DatabaseException db) {
                return db.getMessage();
            }
        }
        return failure.getClass().getSimpleName() + ": " + failure.getMessage();
    }
}
