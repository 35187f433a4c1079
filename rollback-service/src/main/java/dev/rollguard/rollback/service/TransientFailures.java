package dev.rollguard.rollback.service;

import dev.rollguard.rollback.client.FlagServiceUnavailableException;
import io.vertx.core.VertxException;
import io.vertx.sqlclient.DatabaseException;
import java.io.IOException;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.common.errors.RetriableException;

/**
 * Which failures pass by themselves (an outage of the flag-service, the database or the broker) and are retried
 * without limit, as opposed to failures of the alert itself, which go to the dead-letter topic.
 */
final class TransientFailures {

    private TransientFailures() {}

    static boolean isTransient(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof DatabaseException db) {
                // connection (08), resources (53), operator intervention (57), serialization/deadlock (40)
                String state = db.getSqlState() == null ? "" : db.getSqlState();
                return state.startsWith("08")
                        || state.startsWith("53")
                        || state.startsWith("57")
                        || state.startsWith("40");
            }
            if (t instanceof FlagServiceUnavailableException
                    || t instanceof IOException
                    || t instanceof TimeoutException
                    || t instanceof io.smallrye.mutiny.TimeoutException
                    || t instanceof RetriableException
                    || t instanceof VertxException) {
                return true;
            }
        }
        return false;
    }

    /** A low-cardinality tag naming what was unavailable. */
    static String cause(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof FlagServiceUnavailableException) {
                return "flag_service";
            }
            if (t instanceof DatabaseException) {
                return "database";
            }
            if (t instanceof RetriableException) {
                return "kafka";
            }
        }
        return "other";
    }
}
