package dev.rollguard.alert.support;

import dev.rollguard.infra.SharedInfra;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Makes the service's database unavailable and available again, as an outage of PostgreSQL looks to the service:
 * its open connections are cut and new ones refused. Only this database is affected, so the server stays up for
 * the other services' databases.
 */
public final class AlertDatabase {

    private AlertDatabase() {}

    /** Refuses new connections to the service's database and terminates the open ones. */
    public static void refuseConnections() {
        run(
                "ALTER DATABASE " + AlertTestResource.DATABASE_NAME + " WITH ALLOW_CONNECTIONS false",
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '"
                        + AlertTestResource.DATABASE_NAME + "'");
    }

    /** Accepts connections to the service's database again. */
    public static void allowConnections() {
        run("ALTER DATABASE " + AlertTestResource.DATABASE_NAME + " WITH ALLOW_CONNECTIONS true");
    }

    private static void run(String... statements) {
        try (Connection connection = DriverManager.getConnection(
                        SharedInfra.jdbcUrl("postgres"), SharedInfra.dbUser(), SharedInfra.dbPassword());
                Statement statement = connection.createStatement()) {
            for (String sql : statements) {
                statement.execute(sql);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot change the availability of the alert database", e);
        }
    }
}
