package dev.rollguard.http.error;

import io.vertx.sqlclient.DatabaseException;
import java.sql.SQLException;
import java.util.Set;

/**
 * What PostgreSQL said of a failed statement, by its SQLSTATE, however it reached the service: from the reactive
 * client as a {@link DatabaseException} (a PostgreSQL one), or through Hibernate Reactive as an {@link SQLException} that carries only the
 * state.
 */
public final class SqlStates {

    private static final Set<String> UNIQUE_VIOLATION = Set.of("23505");

    /** A deadlock broken, or a serialization conflict, by aborting this transaction. */
    private static final Set<String> CONCURRENT_CHANGE = Set.of("40P01", "40001");

    private SqlStates() {}

    /** Whether a unique key that the statement needed was taken, by a concurrent transaction or before. */
    public static boolean uniqueViolation(Throwable failure) {
        return any(failure, UNIQUE_VIOLATION);
    }

    /**
     * Whether PostgreSQL aborted this transaction for a concurrent one (a deadlock or a serialization conflict):
     * nothing was saved, and sending it again works.
     */
    public static boolean concurrentChange(Throwable failure) {
        return any(failure, CONCURRENT_CHANGE);
    }

    private static boolean any(Throwable failure, Set<String> states) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String state = t instanceof DatabaseException database
                    ? database.getSqlState()
                    : t instanceof SQLException sql ? sql.getSQLState() : null;
            if (state != null && states.contains(state)) {
                return true;
            }
        }
        return false;
    }
}
