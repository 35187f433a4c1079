package dev.rollguard.flag;

import dev.rollguard.infra.EmbeddedPostgresServer;
import dev.rollguard.infra.InfraTestResource;
import dev.rollguard.infra.Ports;
import dev.rollguard.infra.SharedInfra;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.HashMap;
import java.util.Map;

/**
 * The real broker of {@link SharedInfra}, and a PostgreSQL server of this module's own, so a test can stop the
 * database for real ({@link #stopDatabase()}) without pulling it from under the other modules' tests. The server
 * keeps its data directory and port across a stop and start, like a restarted production database.
 */
public class FlagServiceInfra implements QuarkusTestResourceLifecycleManager {

    public static final String DATABASE = "rollguard_flags";

    private static EmbeddedPostgresServer postgres;
    private static java.nio.file.Path dataDir;
    private static int port;

    @Override
    public Map<String, String> start() {
        InfraTestResource kafka = new InfraTestResource();
        kafka.init(Map.of());
        Map<String, String> config = new HashMap<>(kafka.start());
        dataDir = SharedInfra.freshDirectory("flag-service-postgres");
        port = Ports.free();
        startDatabase();
        postgres.createDatabase(DATABASE);
        String jdbc = postgres.jdbcUrl(DATABASE);
        config.put("quarkus.datasource.jdbc.url", jdbc);
        config.put("quarkus.datasource.reactive.url", jdbc.substring("jdbc:".length()));
        config.put("quarkus.datasource.username", EmbeddedPostgresServer.USER);
        config.put("quarkus.datasource.password", "");
        return config;
    }

    /** Stops the PostgreSQL server (a real shutdown: connections drop, new ones are refused). */
    public static synchronized void stopDatabase() {
        if (postgres != null) {
            postgres.close();
            postgres = null;
        }
    }

    /** Starts the server again on the same port with the same data. */
    public static synchronized void startDatabase() {
        if (postgres == null) {
            postgres = EmbeddedPostgresServer.start(dataDir, port);
        }
    }

    /** JDBC URL of the flag database, for tests that check rows directly. */
    public static String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + DATABASE;
    }

    @Override
    public void stop() {
        stopDatabase();
    }
}
