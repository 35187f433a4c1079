package dev.rollguard.http.error;

import io.vertx.sqlclient.ClosedConnectionException;
import java.net.ConnectException;
import java.util.concurrent.TimeoutException;

/** Tells a database that cannot be reached (answered 503, retry later) from a defect (500). */
public final class DatabaseFailures {

    private DatabaseFailures() {}

    /** Whether the failure, or one of its causes, is the database being unreachable or gone mid-request. */
    public static boolean unavailable(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof ConnectException
                    || t instanceof ClosedConnectionException
                    || t instanceof TimeoutException) {
                return true;
            }
            String message = String.valueOf(t.getMessage());
            if (t.getClass().getName().startsWith("io.vertx")
                    && (message.contains("Connection refused") || message.contains("closed"))) {
                return true;
            }
        }
        return false;
    }

    /** One line for the log: the outermost and innermost failure. */
    public static String summary(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == failure ? failure.toString() : failure + " caused by " + root;
    }
}
